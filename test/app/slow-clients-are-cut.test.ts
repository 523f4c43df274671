// A client that sends its request a byte at a time cannot keep a connection of the gateway open:
// the whole request must arrive within REQUEST_TIMEOUT_MS, its headers within HEADERS_TIMEOUT_MS, and an
// idle kept-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS. Real sockets, on the real gateway.
import t from 'tap'
import { signBody } from '../../src/intake/signature.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway, TEST_SECRET } from '../helpers/gateway.ts'
import { RawExchange, requestHead } from '../helpers/raw-http.ts'
import { checkEnvelope, CROUS_API_KEY, SOAP_USER } from '../helpers/validity.ts'
import { sleep } from '../helpers/wait.ts'

const TIMEOUTS = { REQUEST_TIMEOUT_MS: '2000', HEADERS_TIMEOUT_MS: '1000', KEEP_ALIVE_TIMEOUT_MS: '1000' }
/** Between two bytes: far longer than the whole body would take a real client, far shorter than any idle timeout. */
const DRIP_MS = 100

/**
 * Sends `head` then `body` one byte every DRIP_MS until the server answers or hangs up. The body takes
 * minutes at that pace: if the server never cuts the client, the test times out (fails).
 */
async function drip (exchange: RawExchange, head: string, body: string): Promise<{ bytesSent: number, complete: boolean }> {
  await exchange.write(head)
  let sent = 0
  let stop = false
  void exchange.answered.then(() => { stop = true })
  void exchange.closed.then(() => { stop = true })
  while (!stop && sent < body.length) {
    if (!await exchange.write(body.slice(sent, sent + 1))) break
    sent++
    await sleep(DRIP_MS)
  }
  return { bytesSent: sent, complete: sent === body.length }
}

t.test('a body sent a byte at a time is cut with 408 after REQUEST_TIMEOUT_MS: intake and SOAP alike', async (t) => {
  t.setTimeout(60_000)
  const gateway = await startTestGateway(t, {
    izlyEndpoint: 'http://127.0.0.1:9/izly',
    role: 'api',
    listen: true,
    extra: { ...TIMEOUTS, CROUS_API_KEYS: CROUS_API_KEY, CROUS_SOAP_USERS: `${SOAP_USER.user}:${SOAP_USER.password}` },
  })
  const origin = gateway.url as string
  const event = JSON.stringify({ ...cardEvent(), padding: undefined }) + ' '.repeat(2000)
  const soap = checkEnvelope('04A1B2C3D4E5F6') + ' '.repeat(2000)
  const requests: Array<[string, string, string]> = [
    ['intake', requestHead('POST', '/sgc/v1/card-events', origin, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(event), 'X-Signature': signBody(TEST_SECRET, event) }), event],
    ['SOAP', requestHead('POST', '/crous/v1/soap', origin, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': Buffer.byteLength(soap) }), soap],
  ]
  for (const [name, head, body] of requests) {
    const exchange = new RawExchange(origin)
    t.teardown(() => exchange.destroy())
    const { bytesSent, complete } = await drip(exchange, head, body)
    await exchange.closed
    t.notOk(complete, `${name}: cut after ${bytesSent} of ${body.length} bytes`)
    t.match(exchange.received, /^HTTP\/1\.1 408 /, `${name}: answered 408 Request Timeout`)
  }
})

t.test('headers sent a line at a time are cut after HEADERS_TIMEOUT_MS', async (t) => {
  t.setTimeout(60_000)
  const gateway = await startTestGateway(t, { izlyEndpoint: 'http://127.0.0.1:9/izly', role: 'api', listen: true, extra: TIMEOUTS })
  const origin = gateway.url as string
  const exchange = new RawExchange(origin)
  t.teardown(() => exchange.destroy())
  const head = 'GET /health/live HTTP/1.1\r\nHost: x\r\n' + Array.from({ length: 2000 }, (_, index) => `X-Slow-${index}: y\r\n`).join('')
  const { bytesSent, complete } = await drip(exchange, '', head)
  await exchange.closed
  t.notOk(complete, `cut after ${bytesSent} bytes of headers`)
  t.match(exchange.received, /^(?:HTTP\/1\.1 408 |$)/, 'answered 408, or simply closed')
})

t.test('an idle kept-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS', async (t) => {
  t.setTimeout(60_000)
  const gateway = await startTestGateway(t, { izlyEndpoint: 'http://127.0.0.1:9/izly', role: 'api', listen: true, extra: TIMEOUTS })
  const origin = gateway.url as string
  const exchange = new RawExchange(origin)
  t.teardown(() => exchange.destroy())
  await exchange.write(requestHead('GET', '/health/live', origin, {}))
  const answer = await exchange.answered
  t.equal(answer.status, 200)
  t.match(answer.headers['keep-alive'], /timeout=1\b/, 'the server announces its keep-alive timeout')
  await exchange.closed
  t.pass('the server closed the idle connection')
})
