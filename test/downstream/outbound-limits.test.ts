// Every outbound client trusts the other side as little as it can: it never follows a redirect (the
// envelope, the WS-Security password, the router token and the holder's data would go along), never
// reads an answer past its size cap, and gives up on a call that has not fully answered by its deadline,
// however the answer trickles in. Each client against real local servers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { Agent, interceptors } from 'undici'
import { createEscClient } from '../../src/downstream/esc/client.ts'
import { DownstreamError } from '../../src/downstream/errors.ts'
import { createIzlyClient } from '../../src/downstream/izly/client.ts'
import { createRouterStatusClient } from '../../src/validity/router-status-client.ts'
import { escnOf } from '../helpers/router-status-stub.ts'

const ctx = { correlationId: 'evt-outbound' }
const OPPOSE = { identifier: 'jdoe@univ-rouen.fr', idZdc: '99990001', uid: '04A1B2C3D4E5F6', reason: 'DP' as const, cancelDate: '2026-11-28T10:00:00+01:00' }
const OPPOSED_ANSWER = '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><OpposeSmartCardResponse xmlns="urn:leocarte:izly-card-service:v1"><result>OPPOSED</result></OpposeSmartCardResponse></soap:Body></soap:Envelope>'
const ESI = 'urn:schac:personalUniqueCode:int:esi:fr:0123456789A'

interface Listening { url: string, requests: Array<{ method: string, url: string, body: string }>, bytesWritten: () => number }

async function listen (t: Test, handle: (request: IncomingMessage, response: ServerResponse, written: (bytes: number) => void) => void): Promise<Listening> {
  const requests: Listening['requests'] = []
  let bytes = 0
  const server: Server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => { body += chunk.toString() })
    request.on('end', () => {
      requests.push({ method: request.method ?? '', url: request.url ?? '', body })
      handle(request, response, (count) => { bytes += count })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => await new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, bytesWritten: () => bytes }
}

/** Answers a redirect to `target`, as a hijacked or misconfigured endpoint would. */
function redirectTo (target: string) {
  return (_request: IncomingMessage, response: ServerResponse): void => { response.writeHead(307, { location: target }).end() }
}

/** Writes `total` bytes of `chunk` as fast as the client reads them; stops when the client goes away. */
function endless (status: number, contentType: string, head: string, total: number) {
  return (_request: IncomingMessage, response: ServerResponse, written: (bytes: number) => void): void => {
    response.writeHead(status, { 'content-type': contentType })
    response.write(head)
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    let sent = 0
    const pump = (): void => {
      while (sent < total && !response.destroyed) {
        sent += chunk.length
        written(chunk.length)
        if (!response.write(chunk)) { response.once('drain', pump); return }
      }
      if (!response.destroyed) response.end()
    }
    response.on('close', () => { sent = total })
    pump()
  }
}

/** Sends the head at once, then one byte every 100 ms: each gap is short, the whole is long. */
function trickle (status: number, contentType: string, body: string) {
  return (_request: IncomingMessage, response: ServerResponse): void => {
    response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) })
    let at = 0
    const timer = setInterval(() => {
      if (response.destroyed || at >= body.length) { clearInterval(timer); if (!response.destroyed) response.end(); return }
      response.write(body[at++])
    }, 100)
    response.on('close', () => clearInterval(timer))
  }
}

async function rejection (promise: Promise<unknown>): Promise<DownstreamError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof DownstreamError) return error
    throw error
  }
  throw new Error('the call succeeded')
}

const SIXTEEN_MB = 16 * 1024 * 1024

t.test('Izly (node-soap on axios): a 307 is not followed, so the envelope and its password go nowhere else', async (t) => {
  const elsewhere = await listen(t, (_request, response) => { response.writeHead(200, { 'content-type': 'text/xml' }).end(OPPOSED_ANSWER) })
  const hijacked = await listen(t, redirectTo(`${elsewhere.url}/izly/soap`))
  const izly = await createIzlyClient({ endpoint: `${hijacked.url}/izly/soap`, username: 'univ-rouen', password: 'izly-secret-password', timeoutMs: 3000 })
  t.teardown(async () => await izly.close())
  const error = await rejection(izly.opposeSmartCard(OPPOSE, ctx))
  t.match(error, { downstream: 'izly', code: 'INVALID_RESPONSE', transient: false, httpStatus: 307, message: /redirect.*not followed.*IZLY_SOAP_URL/ })
  t.equal(elsewhere.requests.length, 0, 'the host Location named never received the envelope')
  t.equal(hijacked.requests.length, 1)
})

t.test('Izly: an answer over the size cap is cut, not read to the end, and is no answer', async (t) => {
  const huge = await listen(t, endless(200, 'text/xml', OPPOSED_ANSWER.replace('</soap:Envelope>', ''), SIXTEEN_MB))
  const izly = await createIzlyClient({ endpoint: `${huge.url}/izly/soap`, timeoutMs: 10_000, maxResponseBytes: 64 * 1024 })
  t.teardown(async () => await izly.close())
  const error = await rejection(izly.opposeSmartCard(OPPOSE, ctx))
  t.match(error, { code: 'INVALID_RESPONSE', transient: false, message: /over the size limit/ })
  t.ok(huge.bytesWritten() < SIXTEEN_MB, `the client stopped reading (${huge.bytesWritten()} of ${SIXTEEN_MB} bytes written)`)
})

t.test('Izly: an answer that trickles in is cut at the call\'s deadline', async (t) => {
  const slow = await listen(t, trickle(200, 'text/xml', OPPOSED_ANSWER))
  const izly = await createIzlyClient({ endpoint: `${slow.url}/izly/soap`, timeoutMs: 800 })
  t.teardown(async () => await izly.close())
  t.match(await rejection(izly.opposeSmartCard(OPPOSE, ctx)), { code: 'TIMEOUT', transient: true })
})

t.test('ESC Router (undici): an answer over the size cap is cut and is no answer', async (t) => {
  const huge = await listen(t, endless(200, 'application/json', '{"identifier":"', SIXTEEN_MB))
  const client = createEscClient({ baseUrl: `${huge.url}/esc-rest`, token: 'router-token', maxResponseBytes: 64 * 1024 })
  t.teardown(async () => await client.close())
  const error = await rejection(client.deletePerson(ESI, ctx))
  t.match(error, { downstream: 'esc', code: 'RESPONSE_TOO_LARGE', transient: false, httpStatus: 200, message: /over 65536 bytes, not read further/ })
  t.ok(huge.bytesWritten() < SIXTEEN_MB, `the client stopped reading (${huge.bytesWritten()} of ${SIXTEEN_MB} bytes written)`)
})

t.test('ESC Router: an answer that trickles in under every per-phase timeout is cut at the call\'s deadline', async (t) => {
  const slow = await listen(t, trickle(200, 'application/json', JSON.stringify({ identifier: ESI, padding: 'x'.repeat(200) })))
  const client = createEscClient({ baseUrl: `${slow.url}/esc-rest`, token: 'router-token', headersTimeoutMs: 5000, bodyTimeoutMs: 5000, deadlineMs: 800 })
  t.teardown(async () => await client.close())
  t.match(await rejection(client.deletePerson(ESI, ctx)), { code: 'TIMEOUT', transient: true, message: /no complete answer within/ })
})

t.test('the router\'s public status: a redirect is not followed even through a redirecting dispatcher; size and deadline bounded', async (t) => {
  const escn = escnOf(7)
  const elsewhere = await listen(t, (_request, response) => { response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ACTIVE' })) })
  const hijacked = await listen(t, redirectTo(`${elsewhere.url}/esc-rest/api/v2/cards/${escn}/status`))
  const dispatcher = new Agent().compose(interceptors.redirect({ maxRedirections: 5 }))
  t.teardown(async () => await dispatcher.close())
  const lookup = (baseUrl: string, options: { dispatcher?: typeof dispatcher, timeoutMs?: number } = {}) => {
    const router = createRouterStatusClient({ baseUrl, timeoutMs: options.timeoutMs ?? 3000, cacheSeconds: 0, negativeCacheSeconds: 0, cacheEntries: 10, ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }) })
    t.teardown(async () => await router.close())
    return router
  }
  const redirected = await lookup(`${hijacked.url}/esc-rest`, { dispatcher }).lookup(escn)
  t.match(redirected, { kind: 'unavailable', detail: /HTTP 307/ }, 'a redirect is no answer: "unavailable", never a guess')
  t.equal(elsewhere.requests.length, 0, 'the host Location named was never asked')

  const huge = await listen(t, endless(200, 'application/json', '{"status":"ACTIVE","x":"', SIXTEEN_MB))
  t.match(await lookup(`${huge.url}/esc-rest`).lookup(escn), { kind: 'unavailable', detail: /over 65536 bytes/ })
  t.ok(huge.bytesWritten() < SIXTEEN_MB, 'the answer was cut')

  const slow = await listen(t, trickle(200, 'application/json', JSON.stringify({ status: 'ACTIVE', padding: 'x'.repeat(100) })))
  t.match(await lookup(`${slow.url}/esc-rest`, { timeoutMs: 800 }).lookup(escn), { kind: 'unavailable', detail: /did not answer within 800 ms/ })
})
