// The ESC client against the simulator: upserts (POST, then PUT on 409), deletes (404 is done), the
// public status, and what each router answer becomes (transient or "needs attention").
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { Agent, interceptors } from 'undici'
import type { EscCard, EscPerson } from '../../src/domain/esc-plan.ts'
import { createEscClient } from '../../src/downstream/esc/client.ts'
import { DownstreamError } from '../../src/downstream/errors.ts'
import { escnOf, TEST_ESC_TOKEN, TEST_PIC, testEsc } from '../helpers/esc.ts'
import { validateAgainstDocument } from '../helpers/esc-contract.ts'

const ctx = { correlationId: 'evt-esc-client' }
let counter = 0

function person (): EscPerson {
  counter++
  return {
    identifier: `urn:schac:personalUniqueCode:int:esi:fr:${String(counter).padStart(10, '0')}Z`,
    identifierCode: 'ESI',
    personOrganisationUpdateViews: [{ organisationIdentifier: TEST_PIC, email: 'camille.martin@etu.univ-rouen.fr', fullName: 'Camille Martin', academicLevel: 'BACHELOR' }],
  }
}

function cardOf (holder: EscPerson, status: 'ACTIVE' | 'INACTIVE' = 'ACTIVE'): EscCard {
  return { cardNumber: escnOf(holder.identifier), cardStatusType: status, cardType: 'SMART_NO_CDZ', issuedAt: '2026-09-01', expiresAt: '2030-08-31', issuerIdentifier: TEST_PIC, personIdentifier: holder.identifier }
}

async function failure (t: Test, promise: Promise<unknown>): Promise<DownstreamError> {
  try {
    await promise
  } catch (error) {
    t.type(error, DownstreamError)
    return error as DownstreamError
  }
  throw new Error('expected a DownstreamError')
}

t.test('upserts create, then take the 409 path to a PUT of the complete object', async (t) => {
  const esc = await testEsc(t)
  const client = createEscClient({ baseUrl: esc.url, token: TEST_ESC_TOKEN })
  t.teardown(async () => await client.close())
  const holder = person()
  const card = cardOf(holder)

  t.equal(await client.upsertPerson(holder, ctx), 'created')
  t.equal(await client.upsertCard(card, ctx), 'created')
  t.equal(await client.upsertPerson(holder, ctx), 'updated', 'ER-0019 then PUT')
  t.equal(await client.upsertCard({ ...card, expiresAt: '2031-08-31' }, ctx), 'updated', 'ER-0002 then PUT')
  t.same(esc.listCalls().map((call) => `${call.operation} ${call.httpStatus}${call.code === undefined ? '' : ` ${call.code}`}`), [
    'create 201', 'create_1 201', 'create 409 ER-0019', 'update 200', 'create_1 409 ER-0002', 'update_1 200',
  ])
  t.match(await client.cardStatus(card.cardNumber, ctx), { cardNumber: card.cardNumber, status: 'ACTIVE', expiresAt: '2031-08-31', issuerIdentifier: TEST_PIC })
  t.equal(await client.replaceCard({ ...card, cardStatusType: 'INACTIVE' }, ctx), 'updated')
  t.match(await client.cardStatus(card.cardNumber, ctx), { status: 'INACTIVE' })
})

t.test('a DELETE answering 404 is done; the public status of an unknown card is null', async (t) => {
  const esc = await testEsc(t)
  const client = createEscClient({ baseUrl: esc.url, token: TEST_ESC_TOKEN })
  t.teardown(async () => await client.close())
  const holder = person()
  const card = cardOf(holder)
  await client.upsertPerson(holder, ctx)
  await client.upsertCard(card, ctx)
  t.equal(await client.deleteCard(card.cardNumber, ctx), 'deleted')
  t.equal(await client.deleteCard(card.cardNumber, ctx), 'not-found')
  t.equal(await client.deletePerson(holder.identifier, ctx), 'deleted')
  t.equal(await client.deletePerson(holder.identifier, ctx), 'not-found')
  t.equal(await client.replaceCard(card, ctx), 'not-found', 'a PUT never creates')
  t.equal(await client.cardStatus(card.cardNumber, ctx), null)
})

t.test('what each router answer becomes: permanent with the router\'s code, or transient honouring Retry-After', async (t) => {
  const esc = await testEsc(t)
  const client = createEscClient({ baseUrl: esc.url, token: TEST_ESC_TOKEN, headersTimeoutMs: 300 })
  t.teardown(async () => await client.close())
  const holder = person()

  esc.scriptFault({ operation: 'create', httpStatus: 400, code: 'ER-0007', message: `Invalid identifier ${holder.identifier} for camille.martin@etu.univ-rouen.fr`, times: 1 })
  const bad = await failure(t, client.upsertPerson(holder, ctx))
  t.match(bad, { downstream: 'esc', code: 'ER-0007', transient: false, httpStatus: 400 })
  t.match(bad.message, /^ESC Router POST person failed: HTTP 400 ER-0007 \(Invalid identifier <esi> for <e-mail>\)$/, 'the router\'s message, personal data masked')

  const stranger = person()
  esc.seedPerson(stranger.identifier, '123456789')
  t.match(await failure(t, client.deletePerson(stranger.identifier, ctx)), { code: 'SE-0000', httpStatus: 403, transient: true, doubtful: true }, 'another organisation\'s person: retried for a bounded time, then a human looks')
  const wrongToken = createEscClient({ baseUrl: esc.url, token: 'not-the-token' })
  t.teardown(async () => await wrongToken.close())
  t.match(await failure(t, wrongToken.upsertPerson(holder, ctx)), { code: 'SE-0000', httpStatus: 401, transient: true, doubtful: true }, 'a bad token: retried for a bounded time (a rotation), then a human looks')

  esc.scriptFault({ operation: 'create', httpStatus: 409, code: 'ER-9999', message: 'Something else', times: 1 })
  t.match(await failure(t, client.upsertPerson(holder, ctx)), { code: 'ER-9999', transient: false }, 'a 409 that is not "already exists" is not upserted over')

  esc.scriptFault({ operation: 'create', httpStatus: 429, retryAfterSeconds: 2, times: 1 })
  t.match(await failure(t, client.upsertPerson(holder, ctx)), { code: 'HTTP_429', transient: true, retryAfterMs: 2000 })
  esc.scriptFault({ operation: 'create', httpStatus: 500, code: 'ER-0500', message: 'Unexpected error', times: 1 })
  t.match(await failure(t, client.upsertPerson(holder, ctx)), { code: 'ER-0500', transient: true, httpStatus: 500 })

  esc.setOutage('http503')
  t.match(await failure(t, client.upsertPerson(holder, ctx)), { code: 'HTTP_503', transient: true, retryAfterMs: 1000 }, 'an HTML outage page is read leniently')
  esc.setOutage('reset')
  t.match(await failure(t, client.upsertPerson(holder, ctx)), { transient: true, message: /network error/ })
  esc.setOutage('off')
  // undici's parser timers tick about once a second: a timeout of 300 ms fires within about 1 s.
  esc.setLatency(2500)
  t.match(await failure(t, client.upsertPerson(holder, ctx)), { code: 'TIMEOUT', transient: true, message: /no headers within the timeout/ })
  esc.setLatency(0)
  // The timed-out request may still land at the router later: either answer is the person in place.
  t.match(await client.upsertPerson(holder, ctx), /^(created|updated)$/, 'and the router back, it works')
})

t.test('local validation: what the router would refuse is never sent', async (t) => {
  const esc = await testEsc(t)
  const client = createEscClient({ baseUrl: esc.url, token: TEST_ESC_TOKEN })
  t.teardown(async () => await client.close())
  const holder = person()
  const cases: Array<[string, Promise<unknown>, string]> = [
    ['a card of another PIC', client.upsertCard({ ...cardOf(holder), cardNumber: '50228de1-8944-1038-a3d5-001999465982' }, ctx), 'card.cardNumber'],
    ['a bad expiry date', client.upsertCard({ ...cardOf(holder), expiresAt: '2030-02-30' }, ctx), 'card.expiresAt'],
    ['an unknown status', client.replaceCard({ ...cardOf(holder), cardStatusType: 'EXPIRED' as 'ACTIVE' }, ctx), 'card.cardStatusType'],
    ['an ESI of the old form', client.upsertPerson({ ...holder, identifier: 'FR-999859608-0123' }, ctx), 'person.identifier'],
    ['a bad PIC', client.upsertPerson({ ...holder, personOrganisationUpdateViews: [{ organisationIdentifier: '12345' }] }, ctx), 'person.organisationIdentifier'],
  ]
  for (const [name, promise, field] of cases) t.match(await failure(t, promise), { code: 'ESC_INVALID_DATA', transient: false, field }, name)
  t.same(esc.listCalls(), [], 'nothing reached the router')
})

t.test('every request the client can send validates against openapi/esc-router-v2.yaml', async (t) => {
  const esc = await testEsc(t)
  const sent: Array<{ method: string, path: string, headers: Record<string, string>, body: string | undefined }> = []
  const recording = new Agent().compose((dispatch) => (options, handler) => {
    sent.push({ method: options.method, path: String(options.path), headers: { ...options.headers as Record<string, string> }, body: typeof options.body === 'string' ? options.body : undefined })
    return dispatch(options, handler)
  })
  t.teardown(async () => await recording.close())
  const client = createEscClient({ baseUrl: esc.url, token: TEST_ESC_TOKEN, dispatcher: recording })
  const holder = person()
  const card = cardOf(holder)
  const minimal: EscPerson = { identifier: person().identifier, identifierCode: 'ESI', personOrganisationUpdateViews: [{ organisationIdentifier: TEST_PIC }] }

  // Every branch: create and the 409 → PUT path, PUT only, both deletes found and not, the public status found and not.
  await client.upsertPerson(holder, ctx)
  await client.upsertPerson(holder, ctx)
  await client.upsertPerson(minimal, ctx)
  await client.upsertCard(card, ctx)
  await client.upsertCard(card, ctx)
  await client.replaceCard({ ...card, cardStatusType: 'INACTIVE' }, ctx)
  await client.cardStatus(card.cardNumber, ctx)
  await client.cardStatus(escnOf('unknown'), ctx)
  await client.deleteCard(card.cardNumber, ctx)
  await client.deleteCard(card.cardNumber, ctx)
  await client.replaceCard(card, ctx)
  await client.deletePerson(holder.identifier, ctx)
  await client.deletePerson(holder.identifier, ctx)

  const operations = new Set<string>()
  for (const request of sent) {
    const { operationId, errors } = await validateAgainstDocument(request, '/esc-rest')
    operations.add(operationId)
    t.same(errors, [], `${request.method} ${operationId} is valid`)
  }
  t.same([...operations].sort(), ['create', 'create_1', 'delete', 'delete_1', 'status', 'update', 'update_1'], 'every operation the client uses was checked')
  t.ok(esc.listCalls().every((call) => call.valid), 'the simulator, validating against the same file, agrees')

  const status = sent.find((request) => request.path.endsWith('/status'))
  t.equal(status?.headers.authorization, undefined, 'the public status goes without the token')
  t.ok(sent.filter((request) => !request.path.endsWith('/status')).every((request) => request.headers.authorization === `Bearer ${TEST_ESC_TOKEN}`), 'every other call carries the Bearer token')
  t.ok(sent.every((request) => request.headers['x-correlation-id'] === ctx.correlationId), 'and the correlation id')
  t.ok(sent.some((request) => request.path.includes('/persons/urn:schac:personalUniqueCode:int:esi:fr:')), 'the ESI goes raw in the path, as other clients send it')
})

t.test('a redirect is never followed, so the token never travels elsewhere, even through a redirecting dispatcher', async (t) => {
  const elsewhere = await listen(t, (_request, response) => { response.writeHead(204).end() })
  const redirecting = await listen(t, (_request, response) => {
    response.writeHead(302, { location: `${elsewhere.url}/esc-rest/api/v2/persons/x` }).end()
  })
  const dispatcher = new Agent().compose(interceptors.redirect({ maxRedirections: 5 }))
  t.teardown(async () => await dispatcher.close())
  const client = createEscClient({ baseUrl: `${redirecting.url}/esc-rest`, token: TEST_ESC_TOKEN, dispatcher })
  const error = await failure(t, client.deletePerson('urn:schac:personalUniqueCode:int:esi:fr:1', ctx))
  t.match(error, { code: 'HTTP_302', transient: false, message: /redirect to http:\/\/127\.0\.0\.1:\d+, not followed/ })
  t.equal(elsewhere.requests.length, 0, 'the other host was never called')
})

t.test('connections are kept alive between calls', async (t) => {
  const server = await listen(t, (_request, response) => { response.writeHead(204).end() })
  const client = createEscClient({ baseUrl: `${server.url}/esc-rest`, token: TEST_ESC_TOKEN })
  t.teardown(async () => await client.close())
  for (let i = 0; i < 5; i++) t.equal(await client.deleteCard(escnOf(String(i)), ctx), 'deleted')
  t.equal(server.requests.length, 5)
  t.ok(server.connections() <= 2, `five calls over ${server.connections()} kept-alive connection(s)`)
})

t.test('options are checked once', async (t) => {
  t.throws(() => createEscClient({ baseUrl: 'ftp://router', token: 'x' }), /http\(s\)/)
  t.throws(() => createEscClient({ baseUrl: 'https://router/esc-rest', token: '' }), /token/)
  t.throws(() => createEscClient({ baseUrl: 'https://router/esc-rest', token: 'x', headersTimeoutMs: 0 }), /headersTimeoutMs/)
})

async function listen (t: Test, handle: (request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse) => void): Promise<{ url: string, requests: string[], connections: () => number }> {
  const requests: string[] = []
  let connections = 0
  const server: Server = createServer((request, response) => {
    requests.push(`${request.method ?? ''} ${request.url ?? ''} ${request.headers.authorization ?? ''}`)
    handle(request, response)
  })
  server.on('connection', () => { connections++ })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => await new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, connections: () => connections }
}
