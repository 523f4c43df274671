import t, { type Test } from 'tap'
import type { IzlyRightHolder, IzlySmartCard } from '../../src/domain/izly-plan.ts'
import { createIzlyClient, type IzlyClientOptions, type IzlyPort } from '../../src/downstream/izly/client.ts'
import { DownstreamError } from '../../src/downstream/errors.ts'
import { type IzlySimulator, type IzlySimulatorOptions, startIzlySimulator } from '../../src/simulators/izly/server.ts'

const ctx = { correlationId: 'evt-0001' }

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

function opposition (overrides: Partial<Parameters<IzlyPort['opposeSmartCard']>[0]> = {}) {
  return { identifier: holder.identifier, idZdc: card.idZdc, uid: card.uid, reason: 'DP' as const, cancelDate: '2025-10-01T12:00:00.000Z', ...overrides }
}

async function setUp (t: Test, simulatorOptions: IzlySimulatorOptions = {}, clientOptions: Partial<IzlyClientOptions> = {}) {
  const simulator = await startIzlySimulator(simulatorOptions)
  t.teardown(() => simulator.close())
  const client = await createIzlyClient({ endpoint: simulator.url, timeoutMs: 2000, ...clientOptions })
  t.teardown(() => client.close())
  return { simulator, client }
}

async function withRegisteredCard (t: Test) {
  const setup = await setUp(t)
  await setup.client.createRightHolder(holder, ctx)
  await setup.client.registerSmartCard(holder.identifier, card, ctx)
  return setup
}

async function downstreamErrorOf (promise: Promise<unknown>): Promise<DownstreamError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof DownstreamError) return error
    throw error
  }
  throw new Error('expected a DownstreamError')
}

function assertNoPersonalData (t: Test, text: string): void {
  for (const value of [holder.firstName, holder.lastName, holder.email, holder.birthDate, holder.ine]) {
    t.notOk(text.includes(value ?? '\u0000'), `no personal data (${value === undefined ? '' : value.length} chars) in "${text}"`)
  }
}

t.test('right holder: unknown is null, create creates it (then -11 is already-exists), get reads it back', async (t) => {
  const { client } = await setUp(t)
  t.equal(await client.getRightHolder(holder.identifier, ctx), null)
  t.equal(await client.createRightHolder(holder, ctx), 'created')
  const status = await client.getRightHolder(holder.identifier, ctx)
  t.same(status, { rightHolder: holder, accountStatus: 'ACTIF', blockingStatus: 'NON_BLOQUE' })
  t.equal(await client.createRightHolder(holder, ctx), 'already-exists', '-11 is an answer, not a failure')
  await client.updateRightHolder({ identifier: holder.identifier, idRate: 98 }, ctx)
  t.equal((await client.getRightHolder(holder.identifier, ctx))?.rightHolder.idRate, 98, 'a SOAP UPDATE keeps what it does not send')
  t.match(await downstreamErrorOf(client.updateRightHolder({ identifier: 'nobody' }, ctx)), { code: 'HTTP_404', transient: false }, 'an UPDATE of an unknown holder is a 404')
})

t.test('register, then get shows the card registered and not opposed', async (t) => {
  const { client } = await withRegisteredCard(t)
  t.same(await client.getSmartCard(holder.identifier, card.idZdc, ctx), { smartCard: card, opposed: false })
  await client.registerSmartCard(holder.identifier, card, ctx)
  t.pass('registering the same card again is idempotent')
  t.equal(await client.getSmartCard(holder.identifier, '999', ctx), null, 'an unknown card is null')
})

t.test('oppose, oppose again, oppose an unknown card, revalidate', async (t) => {
  const { client, simulator } = await withRegisteredCard(t)
  t.equal(await client.opposeSmartCard(opposition(), ctx), 'opposed')
  t.equal(await client.opposeSmartCard(opposition({ reason: 'DV' }), ctx), 'already-opposed', '-9 is success')
  t.equal(await client.opposeSmartCard(opposition({ idZdc: '404' }), ctx), 'not-found', 'a card Izly never heard of is not an error')
  t.same(await client.getSmartCard(holder.identifier, card.idZdc, ctx), {
    smartCard: card, opposed: true, reason: 'DP', cancelDate: '2025-10-01T12:00:00.000Z',
  }, 'the first opposition stands')

  await client.revalidateSmartCard({ identifier: holder.identifier, idZdc: card.idZdc, uid: card.uid, revalidationDate: '2025-10-02T09:00:00.000Z' }, ctx)
  t.same(await client.getSmartCard(holder.identifier, card.idZdc, ctx), {
    smartCard: card, opposed: false, revalidationDate: '2025-10-02T09:00:00.000Z',
  })
  await client.revalidateSmartCard({ identifier: holder.identifier, idZdc: card.idZdc, uid: card.uid, revalidationDate: '2025-10-02T09:00:00.000Z' }, ctx)
  t.pass('revalidating a card that is not opposed is idempotent')

  const opposeCalls = simulator.calls.filter((call) => call.operation === 'OpposeSmartCard')
  t.same(opposeCalls.map((call) => [call.idZdc, call.reason, call.httpStatus, call.result ?? call.code]),
    [[card.idZdc, 'DP', 200, 'OPPOSED'], [card.idZdc, 'DV', 422, '-9'], ['404', 'DP', 404, 'HTTP_404']])
  t.ok(simulator.calls.every((call) => call.correlationId === ctx.correlationId), 'X-Correlation-Id reaches Izly on every call')
})

t.test('patch identifier: the holder and its cards move to the new key; unclose re-opens a closed account', async (t) => {
  const { client, simulator } = await withRegisteredCard(t)
  await client.patchIdentifier({ currentIdentifier: holder.identifier, email: holder.email as string, newIdentifier: holder.ine as string }, ctx)
  t.equal(await client.getRightHolder(holder.identifier, ctx), null, 'the old key is gone')
  t.equal((await client.getRightHolder(holder.ine as string, ctx))?.rightHolder.identifier, holder.ine)
  t.equal(await client.opposeSmartCard(opposition({ identifier: holder.ine as string }), ctx), 'opposed', 'the card follows its holder')
  t.match(await downstreamErrorOf(client.patchIdentifier({ currentIdentifier: 'nobody', newIdentifier: 'x' }, ctx)), { code: 'HTTP_404', transient: false })

  simulator.patchHolder(holder.ine as string, { closed: true })
  await client.uncloseRightHolder(holder.ine as string, ctx)
  t.equal((await client.getRightHolder(holder.ine as string, ctx))?.accountStatus, 'ACTIF')
  await client.uncloseRightHolder(holder.ine as string, ctx)
  t.pass('unclosing an open account is idempotent')
  t.same(simulator.calls.filter((call) => call.operation === 'UncloseRightHolder').map((call) => call.result), ['UNCLOSED', 'NOT_CLOSED'])
})

t.test('a locked holder: upsert fails for good, opposition still goes through', async (t) => {
  const { client, simulator } = await withRegisteredCard(t)
  simulator.lockHolder(holder.identifier)
  const error = await downstreamErrorOf(client.updateRightHolder(holder, ctx))
  t.match(error, { downstream: 'izly', code: 'HTTP_423', httpStatus: 423, transient: false })
  assertNoPersonalData(t, error.message)
  t.equal(await client.opposeSmartCard(opposition(), ctx), 'opposed')
})

t.test('a past due date is -8, permanent, and the message carries no personal data', async (t) => {
  const { client } = await setUp(t)
  const error = await downstreamErrorOf(client.createRightHolder({ ...holder, dueDate: '2001-01-01T00:00:00.000Z' }, ctx))
  t.match(error, { code: '-8', httpStatus: 422, transient: false, field: 'dueDate' })
  assertNoPersonalData(t, error.message)
  t.equal(error.cause, undefined, 'no cause: node-soap errors carry the request envelope')
})

t.test('Izly\'s own text for an unknown code reaches the message with e-mails, INE and dates masked', async (t) => {
  const { client, simulator } = await withRegisteredCard(t)
  simulator.scriptFault({ operation: 'UpsertRightHolder', httpStatus: 422, code: '-500', message: `email ${holder.email ?? ''} ine ${holder.ine ?? ''} born 2003-04-05 / 05/04/2003 rejected` })
  const error = await downstreamErrorOf(client.updateRightHolder(holder, ctx))
  t.equal(error.message, 'Izly UpsertRightHolder failed: HTTP 422 code -500 (email <e-mail> ine <ine> born <date> / <date> rejected)')
  assertNoPersonalData(t, error.message)
})

t.test('scripted faults: -42 on an opposition is an unknown holder (the next key is tried), a retryable fault is transient', async (t) => {
  const { client, simulator } = await withRegisteredCard(t)
  simulator.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 422, code: '-42', message: 'Client inconnu', retryable: false, times: 1 })
  t.equal(await client.opposeSmartCard(opposition(), ctx), 'unknown-holder')
  simulator.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 422, code: '-41', message: 'Client en opposition', retryable: false, times: 1 })
  t.match(await downstreamErrorOf(client.opposeSmartCard(opposition(), ctx)), { code: '-41', httpStatus: 422, transient: false })

  simulator.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 422, code: '-1000', message: 'Try again', retryable: true, times: 1 })
  t.match(await downstreamErrorOf(client.opposeSmartCard(opposition(), ctx)), { code: '-1000', transient: true })

  simulator.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 429, retryAfterSeconds: 5, times: 1 })
  t.match(await downstreamErrorOf(client.opposeSmartCard(opposition(), ctx)), { code: 'HTTP_429', httpStatus: 429, transient: true, retryAfterMs: 5000 })

  t.equal(await client.opposeSmartCard(opposition(), ctx), 'opposed', 'the faults were for one call each')
})

t.test('outages are transient: a 503, a reset connection, nobody listening', async (t) => {
  const { client, simulator } = await withRegisteredCard(t)
  simulator.setOutage('http503')
  t.match(await downstreamErrorOf(client.opposeSmartCard(opposition(), ctx)), { code: 'HTTP_503', httpStatus: 503, transient: true, retryAfterMs: 1000 })
  simulator.setOutage('reset')
  t.match(await downstreamErrorOf(client.opposeSmartCard(opposition(), ctx)), { code: 'ECONNRESET', transient: true })
  t.same(simulator.calls.slice(-2).map((call) => [call.operation, call.code]), [['OpposeSmartCard', 'outage'], ['OpposeSmartCard', 'outage']])
  simulator.setOutage('off')
  t.equal(await client.opposeSmartCard(opposition(), ctx), 'opposed', 'back to normal once the outage ends')

  const nobody = await createIzlyClient({ endpoint: 'http://127.0.0.1:1/izly/soap', timeoutMs: 2000 })
  t.teardown(() => nobody.close())
  t.match(await downstreamErrorOf(nobody.opposeSmartCard(opposition(), ctx)), { code: 'ECONNREFUSED', transient: true })
})

t.test('a simulator slower than timeoutMs gives a transient timeout', async (t) => {
  const { simulator } = await withRegisteredCard(t)
  const impatient = await createIzlyClient({ endpoint: simulator.url, timeoutMs: 150 })
  t.teardown(() => impatient.close())
  simulator.setLatency(1000)
  const started = Date.now()
  const error = await downstreamErrorOf(impatient.opposeSmartCard(opposition(), ctx))
  t.match(error, { code: 'TIMEOUT', transient: true })
  t.ok(Date.now() - started < 900, 'the call gives up at its timeout, not when the answer comes')
})

t.test('a 404 from a wrong endpoint path is not "card not found"', async (t) => {
  const { simulator } = await withRegisteredCard(t)
  const misconfigured = await createIzlyClient({ endpoint: simulator.url.replace('/izly/soap', '/wrong/path'), timeoutMs: 2000 })
  t.teardown(() => misconfigured.close())
  t.match(await downstreamErrorOf(misconfigured.opposeSmartCard(opposition(), ctx)), { code: 'HTTP_404', transient: false })
})

t.test('WS-Security: the simulator refuses calls without the UsernameToken and accepts them with it', async (t) => {
  const { simulator, client: anonymous } = await setUp(t, { username: 'leocarte', password: 's3cret' })
  const error = await downstreamErrorOf(anonymous.getRightHolder(holder.identifier, ctx))
  t.match(error, { code: 'HTTP_401', httpStatus: 401, transient: true })

  const wrong = await createIzlyClient({ endpoint: simulator.url, username: 'leocarte', password: 'nope', timeoutMs: 2000 })
  t.teardown(() => wrong.close())
  t.match(await downstreamErrorOf(wrong.getRightHolder(holder.identifier, ctx)), { httpStatus: 401 })

  const authenticated = await createIzlyClient({ endpoint: simulator.url, username: 'leocarte', password: 's3cret', timeoutMs: 2000 })
  t.teardown(() => authenticated.close())
  await authenticated.createRightHolder(holder, ctx)
  t.equal((await authenticated.getRightHolder(holder.identifier, ctx))?.accountStatus, 'ACTIF')
  t.same(simulator.calls.map((call) => call.httpStatus), [401, 401, 200, 200])
})

t.test('options are checked once, at creation', async (t) => {
  await t.rejects(createIzlyClient({ endpoint: 'not a url' }), TypeError)
  await t.rejects(createIzlyClient({ endpoint: 'ftp://izly.example/soap' }), TypeError)
  await t.rejects(createIzlyClient({ endpoint: 'http://127.0.0.1:1/izly/soap', username: 'only-me' }), /username and password/)
  await t.rejects(createIzlyClient({ endpoint: 'http://127.0.0.1:1/izly/soap', timeoutMs: 0 }), /timeoutMs/)
})
