// The API CROUS REST client against the Izly simulator's REST face: every operation of the port, what
// each class of answer becomes (a value, a transient fault or a permanent one), and one state shared
// with the SOAP face. The simulator validates every request against openapi/api-crous-v1.yaml.
import t, { type Test } from 'tap'
import type { IzlyRightHolder, IzlySmartCard } from '../../src/domain/izly-plan.ts'
import { createIzlyClient } from '../../src/downstream/izly/client.ts'
import { DownstreamError } from '../../src/downstream/errors.ts'
import { createIzlyRestClient, type IzlyRestClientOptions } from '../../src/downstream/izly/rest-client.ts'
import { type IzlySimulator, startIzlySimulator } from '../../src/simulators/izly/server.ts'
import { restSettingsOf } from '../helpers/izly.ts'

const ctx = { correlationId: 'evt-rest-0001' }

const holder: IzlyRightHolder = {
  identifier: 'alice@univ-rouen.fr',
  firstName: 'Alice',
  lastName: 'Martin',
  email: 'alice.martin@univ-rouen.fr',
  dueDate: '2099-08-31T00:00:00.000Z',
  idCompanyRate: 10,
  idRate: 1,
  birthDate: '2003-04-05',
  ine: '0123456789A',
  rneOrgCode: '0761904G',
}

const card: IzlySmartCard = {
  uid: '04A1B2C3D4E5F6',
  rid: '04A1B2C3D4E5F6',
  idZdc: '250000000000123',
  idTransmitter: 65,
  idMapping: 1,
  zdcCreationDate: '2025-09-01T08:30:00.000Z',
  pixSs: '03',
  pixNn: '0000',
  appl: 'D1',
}

function opposition (overrides: Partial<{ identifier: string, idZdc: string, reason: 'DP' | 'DV' | 'CD' | 'HS' }> = {}) {
  return { identifier: holder.identifier, idZdc: card.idZdc, uid: card.uid, reason: 'DP' as const, cancelDate: '2025-10-01T14:00:00+02:00', ...overrides }
}

async function setUp (t: Test, clientOptions: Partial<IzlyRestClientOptions> = {}) {
  const simulator = await startIzlySimulator()
  t.teardown(() => simulator.close())
  const client = createIzlyRestClient({ ...restSettingsOf(simulator), timeoutMs: 2000, ...clientOptions })
  t.teardown(() => client.close())
  return { simulator, client }
}

async function withRegisteredCard (t: Test, clientOptions: Partial<IzlyRestClientOptions> = {}) {
  const setup = await setUp(t, clientOptions)
  await setup.client.createRightHolder(holder, ctx)
  await setup.client.registerSmartCard(holder.identifier, card, ctx)
  return setup
}

async function failureOf (promise: Promise<unknown>): Promise<DownstreamError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught)
  if (!(error instanceof DownstreamError)) throw new Error(`expected a DownstreamError, got ${String(error)}`)
  return error
}

function everyCallValid (t: Test, simulator: IzlySimulator): void {
  const invalid = simulator.listCalls().filter((call) => call.transport === 'rest' && call.valid !== true)
  t.same(invalid, [], 'every request matched openapi/api-crous-v1.yaml')
}

function assertNoPersonalData (t: Test, text: string): void {
  for (const value of [holder.firstName, holder.lastName, holder.email, holder.birthDate, holder.ine]) {
    t.notOk(text.includes(value ?? '\u0000'), `no personal data in "${text}"`)
  }
}

t.test('right holder: unknown is null, create, -11 is already-exists, PUT replaces, patch moves the key, unclose', async (t) => {
  const { client, simulator } = await setUp(t)
  t.equal(await client.getRightHolder(holder.identifier, ctx), null, 'the API\'s 404 is "unknown"')
  t.equal(await client.createRightHolder(holder, ctx), 'created')
  t.same(await client.getRightHolder(holder.identifier, ctx), { rightHolder: holder, accountStatus: 'ACTIF', blockingStatus: 'NON_BLOQUE' })
  t.equal(await client.createRightHolder(holder, ctx), 'already-exists', '-11 is an answer, not a failure')

  await client.updateRightHolder({ identifier: holder.identifier, rneOrgCode: '0141408E', idCompanyRate: 10, idRate: 98 }, ctx)
  t.same((await client.getRightHolder(holder.identifier, ctx))?.rightHolder, { identifier: holder.identifier, rneOrgCode: '0141408E', idCompanyRate: 10, idRate: 98 },
    'a PUT replaces the holder: what it leaves out is gone (hence the plan sends the complete record)')
  t.match(await failureOf(client.updateRightHolder({ identifier: 'nobody' }, ctx)), { code: 'HTTP_404', httpStatus: 404, transient: false }, 'a PUT of an unknown holder fails')

  await client.registerSmartCard(holder.identifier, card, ctx)
  await client.patchIdentifier({ currentIdentifier: holder.identifier, email: holder.email as string, newIdentifier: holder.ine as string }, ctx)
  t.equal(await client.getRightHolder(holder.identifier, ctx), null)
  t.equal(await client.opposeSmartCard(opposition({ identifier: holder.ine as string }), ctx), 'opposed', 'the card followed its holder')

  simulator.patchHolder(holder.ine as string, { closed: true })
  await client.uncloseRightHolder(holder.ine as string, ctx)
  t.equal((await client.getRightHolder(holder.ine as string, ctx))?.accountStatus, 'ACTIF')
  t.same(simulator.calls.filter((call) => call.operation === 'UncloseRightHolder').map((call) => [call.httpStatus, call.result]), [[204, 'UNCLOSED']])
  everyCallValid(t, simulator)
  t.ok(simulator.calls.filter((call) => call.operation !== 'Token').every((call) => call.correlationId === ctx.correlationId), 'X-Correlation-Id on every call')
})

t.test('cards: register, read, oppose, -9 is already-opposed, unknown card is not-found, revalidate', async (t) => {
  const { client, simulator } = await withRegisteredCard(t)
  t.same(await client.getSmartCard(holder.identifier, card.idZdc, ctx), { smartCard: card, opposed: false })
  t.equal(await client.getSmartCard(holder.identifier, '999', ctx), null)
  t.equal(await client.opposeSmartCard(opposition(), ctx), 'opposed')
  t.equal(await client.opposeSmartCard(opposition({ reason: 'DV' }), ctx), 'already-opposed')
  t.equal(await client.opposeSmartCard(opposition({ idZdc: '404' }), ctx), 'not-found')
  t.same(await client.getSmartCard(holder.identifier, card.idZdc, ctx), { smartCard: card, opposed: true, reason: 'DP', cancelDate: '2025-10-01T12:00:00.000Z' },
    'the cancelDate went over in true UTC')
  await client.revalidateSmartCard({ identifier: holder.identifier, idZdc: card.idZdc, uid: card.uid, revalidationDate: '2025-10-02T09:00:00.000Z' }, ctx)
  t.same(await client.getSmartCard(holder.identifier, card.idZdc, ctx), { smartCard: card, opposed: false, revalidationDate: '2025-10-02T09:00:00.000Z' })
  t.same(simulator.calls.filter((call) => call.operation === 'OpposeSmartCard').map((call) => [call.httpStatus, call.code ?? call.result, call.uid]),
    [[200, 'OPPOSED', card.uid], [422, '-9', card.uid], [404, 'HTTP_404', card.uid]], 'the CSN travels in the uid header')
  everyCallValid(t, simulator)
})

t.test('one state, two faces: registered over SOAP, opposed over REST, and the other way round', async (t) => {
  const { client: rest, simulator } = await setUp(t)
  const soap = await createIzlyClient({ endpoint: simulator.url, timeoutMs: 2000 })
  t.teardown(() => soap.close())
  await soap.createRightHolder(holder, ctx)
  await soap.registerSmartCard(holder.identifier, card, ctx)
  t.equal(await rest.opposeSmartCard(opposition(), ctx), 'opposed')
  t.match(await soap.getSmartCard(holder.identifier, card.idZdc, ctx), { opposed: true, reason: 'DP' })

  const other = { ...card, idZdc: '250000000000456', uid: '04FFEEDDCCBBAA' }
  await rest.registerSmartCard(holder.identifier, other, ctx)
  t.equal(await soap.opposeSmartCard({ ...opposition(), idZdc: other.idZdc, uid: other.uid, reason: 'HS' }, ctx), 'opposed')
  t.match(await rest.getSmartCard(holder.identifier, other.idZdc, ctx), { opposed: true, reason: 'HS' })
  t.same([...new Set(simulator.calls.map((call) => call.transport))].sort(), ['rest', 'soap'])
})

t.test('every 422 code of the API is a permanent fault with its code; -9 and -11 are answers', async (t) => {
  const { client, simulator } = await withRegisteredCard(t)
  for (const code of ['-8', '-31', '-41', '-42', '-117', '-500']) {
    simulator.scriptFault({ operation: 'RegisterSmartCard', httpStatus: 422, code, message: `refused ${holder.email ?? ''}`, field: 'idZdc', times: 1 })
    const error = await failureOf(client.registerSmartCard(holder.identifier, card, ctx))
    t.match(error, { downstream: 'izly', code, httpStatus: 422, transient: false, field: 'idZdc' }, `422 ${code}`)
    assertNoPersonalData(t, error.message)
  }
  simulator.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 422, code: '-9', times: 1 })
  t.equal(await client.opposeSmartCard(opposition(), ctx), 'already-opposed')
  simulator.scriptFault({ operation: 'CreateRightHolder', httpStatus: 422, code: '-11', times: 1 })
  t.equal(await client.createRightHolder({ identifier: 'bob' }, ctx), 'already-exists')
  simulator.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 422, code: '-42', times: 1 })
  t.equal(await client.opposeSmartCard(opposition(), ctx), 'unknown-holder', '-42 on an opposition is an answer: the sync tries the holder\'s other keys')
})

t.test('406, 423, and the 404 flows', async (t) => {
  const { client, simulator } = await withRegisteredCard(t)
  simulator.patchHolder(holder.identifier, { otherRne: true })
  t.match(await failureOf(client.updateRightHolder(holder, ctx)), { code: 'HTTP_406', httpStatus: 406, transient: false })
  simulator.patchHolder(holder.identifier, { otherRne: false, locked: true })
  t.match(await failureOf(client.getRightHolder(holder.identifier, ctx)), { code: 'HTTP_423', httpStatus: 423, transient: false })
  t.equal(await client.opposeSmartCard(opposition(), ctx), 'opposed', 'a locked account still gets its card opposed')
  simulator.patchHolder('closed', { closed: true })
  t.match(await failureOf(client.registerSmartCard('closed', { ...card, idZdc: '1' }, ctx)), { code: 'HTTP_404', transient: false }, 'a card for a closed account is a permanent 404')
})

t.test('5xx, 429 with Retry-After, outages, resets, nobody listening and timeouts are transient', async (t) => {
  const { client, simulator } = await withRegisteredCard(t)
  simulator.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 500, code: '-1', message: 'Erreur interne', times: 1 })
  t.match(await failureOf(client.opposeSmartCard(opposition(), ctx)), { code: '-1', httpStatus: 500, transient: true }, 'a 5xx with an error body')
  simulator.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 502, times: 1 })
  t.match(await failureOf(client.opposeSmartCard(opposition(), ctx)), { code: 'HTTP_502', transient: true }, 'a 5xx that is not JSON')
  simulator.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 429, retryAfterSeconds: 7, times: 1 })
  t.match(await failureOf(client.opposeSmartCard(opposition(), ctx)), { code: 'HTTP_429', httpStatus: 429, transient: true, retryAfterMs: 7000 })

  simulator.setOutage('http503')
  t.match(await failureOf(client.opposeSmartCard(opposition(), ctx)), { code: 'HTTP_503', transient: true, retryAfterMs: 1000 }, 'an HTML 503 page')
  simulator.setOutage('reset')
  t.match(await failureOf(client.opposeSmartCard(opposition(), ctx)), { code: /^(ECONNRESET|UND_ERR_SOCKET)$/, transient: true }, 'a connection dropped without an answer')
  simulator.setOutage('off')

  simulator.setLatency(1000)
  const impatient = createIzlyRestClient({ ...restSettingsOf(simulator), timeoutMs: 150 })
  t.teardown(() => impatient.close())
  const started = Date.now()
  t.match(await failureOf(impatient.opposeSmartCard(opposition(), ctx)), { code: 'TIMEOUT', transient: true })
  t.ok(Date.now() - started < 900, 'the call gives up at its deadline, not when the answer comes')
  t.match(await failureOf(client.getSmartCard(holder.identifier, card.idZdc, { ...ctx, timeoutMs: 100 })), { code: 'TIMEOUT' }, 'a caller\'s shorter deadline (a façade read) wins')
  simulator.setLatency(0)
  t.equal(await client.opposeSmartCard(opposition(), ctx), 'opposed', 'back to normal')

  const nobody = createIzlyRestClient({ apiUrl: 'http://127.0.0.1:1', accessUrl: 'http://127.0.0.1:1', clientId: 'x', clientSecret: 'y', timeoutMs: 2000 })
  t.teardown(() => nobody.close())
  t.match(await failureOf(nobody.opposeSmartCard(opposition(), ctx)), { code: 'TOKEN_ECONNREFUSED', transient: true }, 'no token server: transient')
})

t.test('a 404 that is not the API\'s (a wrong IZLY_API_URL path, a proxy page) is never "unknown" or "nothing to oppose"', async (t) => {
  const { simulator } = await withRegisteredCard(t)
  const misconfigured = createIzlyRestClient({ ...restSettingsOf(simulator), apiUrl: `${simulator.apiUrl}/api-crous`, timeoutMs: 2000 })
  t.teardown(() => misconfigured.close())
  t.match(await failureOf(misconfigured.opposeSmartCard(opposition(), ctx)), { code: 'HTTP_404', transient: false })
  t.match(await failureOf(misconfigured.getRightHolder(holder.identifier, ctx)), { code: 'HTTP_404', transient: false })
  simulator.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 404, times: 1 })
  const client = createIzlyRestClient({ ...restSettingsOf(simulator), timeoutMs: 2000 })
  t.teardown(() => client.close())
  t.match(await failureOf(client.opposeSmartCard(opposition(), ctx)), { code: 'HTTP_404', transient: false }, 'a text/plain 404')
})

t.test('options are checked at creation', async (t) => {
  const base = { apiUrl: 'https://api.lescrous.fr', clientId: 'id', clientSecret: 'secret' }
  t.throws(() => createIzlyRestClient({ ...base, apiUrl: 'not a url' }), TypeError)
  t.throws(() => createIzlyRestClient({ ...base, apiUrl: 'https://api.lescrous.fr/beforeizly/v1' }), /without \/beforeizly\/v1/)
  t.throws(() => createIzlyRestClient({ ...base, clientSecret: '' }), /clientSecret is required/)
  t.throws(() => createIzlyRestClient({ ...base, clientId: 'a:b' }), /":"/)
  t.throws(() => createIzlyRestClient({ ...base, timeoutMs: 0 }), /timeoutMs/)
  t.throws(() => createIzlyRestClient({ ...base, accessUrl: 'https://acces.lescrous.fr?x=1' }), /no query/)
})
