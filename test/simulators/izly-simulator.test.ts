import t, { type Test } from 'tap'
import type { IzlyRightHolder, IzlySmartCard } from '../../src/domain/izly-plan.ts'
import { createIzlyClient } from '../../src/downstream/izly/client.ts'
import { DownstreamError } from '../../src/downstream/errors.ts'
import { startIzlySimulator } from '../../src/simulators/izly/server.ts'

const ctx = { correlationId: 'evt-sim' }
const holder: IzlyRightHolder = { identifier: 'bob', firstName: 'Bob', lastName: 'Durand', email: 'bob.durand@unicaen.fr', birthDate: '2002-02-02', ine: '9876543210Z', dueDate: '2099-01-01T00:00:00.000Z' }
const card: IzlySmartCard = { uid: '04BB', idZdc: '777', idTransmitter: 65, idMapping: 1, zdcCreationDate: '2025-09-01T00:00:00.000Z' }

async function setUp (t: Test) {
  const simulator = await startIzlySimulator({ port: 0 })
  t.teardown(() => simulator.close())
  const client = await createIzlyClient({ endpoint: simulator.url, timeoutMs: 2000 })
  t.teardown(() => client.close())
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${simulator.controlUrl}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    })
    const text = await response.text()
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) as unknown }
  }
  return { simulator, client, control }
}

async function failureOf (promise: Promise<unknown>): Promise<DownstreamError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught)
  if (!(error instanceof DownstreamError)) throw new Error(`expected a DownstreamError, got ${String(error)}`)
  return error
}

t.test('serves the WSDL with its own address, on an ephemeral port', async (t) => {
  const { simulator } = await setUp(t)
  t.match(simulator.url, /^http:\/\/127\.0\.0\.1:\d+\/izly\/soap$/)
  const wsdl = await (await fetch(simulator.wsdlUrl)).text()
  t.match(wsdl, `<soap:address location="${simulator.url}"/>`)
  t.match(wsdl, 'targetNamespace="urn:leocarte:izly-card-service:v1"')
})

t.test('right-holder rules: -8 past due date, 406 other RNE, 423 locked or closed, -41 in opposition', async (t) => {
  const { client, control } = await setUp(t)
  t.match(await failureOf(client.createRightHolder({ ...holder, dueDate: '2000-01-01T00:00:00Z' }, ctx)), { code: '-8', field: 'dueDate' })

  t.equal((await control('PUT', '/holders/bob', { otherRne: true })).status, 200)
  t.match(await failureOf(client.updateRightHolder(holder, ctx)), { httpStatus: 406, transient: false })
  await control('PUT', '/holders/bob', { otherRne: false, closed: true })
  t.match(await failureOf(client.updateRightHolder(holder, ctx)), { httpStatus: 423 })
  await control('PUT', '/holders/bob', { closed: false, blockingStatus: 'MIS_EN_OPPOSITION' })
  t.match(await failureOf(client.updateRightHolder(holder, ctx)), { code: '-41' })
  await control('PUT', '/holders/bob', { blockingStatus: 'NON_BLOQUE' })
  await client.updateRightHolder(holder, ctx)

  t.equal((await control('POST', '/holders/bob/lock')).status, 200)
  t.match(await failureOf(client.getRightHolder('bob', ctx)), { httpStatus: 423 })
  await control('POST', '/holders/bob/unlock')
  t.equal((await client.getRightHolder('bob', ctx))?.blockingStatus, 'NON_BLOQUE')
})

t.test('card rules: 404 unknown or closed holder, -31 deleted holder, another holder\'s card, 423 on revalidation when locked', async (t) => {
  const { client, simulator } = await setUp(t)
  t.match(await failureOf(client.registerSmartCard('nobody', card, ctx)), { code: 'HTTP_404', transient: false })
  simulator.patchHolder('closed', { closed: true })
  t.match(await failureOf(client.registerSmartCard('closed', card, ctx)), { httpStatus: 404 })
  simulator.patchHolder('gone', { deleted: true })
  t.match(await failureOf(client.registerSmartCard('gone', card, ctx)), { code: '-31' })

  await client.createRightHolder(holder, ctx)
  await client.registerSmartCard('bob', card, ctx)
  simulator.patchHolder('carol', {})
  t.match(await failureOf(client.registerSmartCard('carol', card, ctx)), { httpStatus: 422, field: 'idZdc' })
  t.equal(await client.getSmartCard('carol', card.idZdc, ctx), null, 'a card is reached through its own holder only')

  simulator.lockHolder('bob')
  t.equal(await client.opposeSmartCard({ identifier: 'bob', idZdc: card.idZdc, uid: card.uid, reason: 'CD', cancelDate: '2025-10-01T00:00:00Z' }, ctx), 'opposed',
    'a locked holder\'s card is still opposed')
  t.match(await failureOf(client.revalidateSmartCard({ identifier: 'bob', idZdc: card.idZdc, uid: card.uid, revalidationDate: '2025-10-02T00:00:00Z' }, ctx)), { httpStatus: 423 })
})

t.test('scripted faults over the control API: matching, times, auto-clear, listing, removal', async (t) => {
  const { client, simulator, control } = await setUp(t)
  simulator.putCard({ owner: 'bob', smartCard: card })
  simulator.putCard({ owner: 'bob', smartCard: { ...card, idZdc: '778' } })
  const oppose = (idZdc: string) => client.opposeSmartCard({ identifier: 'bob', idZdc, uid: card.uid, reason: 'DP', cancelDate: '2025-10-01T00:00:00Z' }, ctx)

  const created = await control('POST', '/faults', { operation: 'OpposeSmartCard', idZdc: '777', httpStatus: 503, code: 'HTTP_503', message: 'Izly down', times: 2 })
  t.equal(created.status, 201)
  t.match(created.body, { id: String, operation: 'OpposeSmartCard', times: 2 })
  t.equal(await oppose('778'), 'opposed', 'a fault for card 777 leaves card 778 alone')
  t.match(await failureOf(oppose('777')), { code: 'HTTP_503', transient: true })
  t.match(await failureOf(oppose('777')), { code: 'HTTP_503', transient: true })
  t.same((await control('GET', '/faults')).body, [], 'used up after two calls')
  t.equal(await oppose('777'), 'opposed')

  const forever = await control('POST', '/faults', { operation: '*', httpStatus: 422, code: '-117' })
  t.match(await failureOf(client.getRightHolder('bob', ctx)), { code: '-117', transient: false })
  t.match(await failureOf(oppose('777')), { code: '-117' }, 'a fault without times stays')
  t.equal((await control('DELETE', `/faults/${(forever.body as { id: string }).id}`)).status, 204)
  t.equal((await control('DELETE', '/faults/nope')).status, 404)
  t.equal(await oppose('777'), 'already-opposed')

  t.equal((await control('POST', '/faults', { operation: 'Nope', httpStatus: 500 })).status, 400)
  t.match((await control('POST', '/faults', { operation: 'GetSmartCard', httpStatus: 200 })).body, { error: /httpStatus/ })
})

t.test('outage, latency, seeded cards, calls, state and reset over the control API', async (t) => {
  const { client, simulator, control } = await setUp(t)
  t.same((await control('PUT', '/cards/777', { owner: 'bob', smartCard: card, cancelDate: '2025-01-01T00:00:00Z', reason: 'DV' })).status, 200)
  t.match(await client.getSmartCard('bob', '777', ctx), { opposed: true, reason: 'DV' })

  t.same((await control('PUT', '/outage', { mode: 'http503' })).body, { mode: 'http503' })
  t.match(await failureOf(client.getSmartCard('bob', '777', ctx)), { code: 'HTTP_503' })
  t.equal((await control('PUT', '/outage', { mode: 'sometimes' })).status, 400)
  await control('PUT', '/outage', { mode: 'off' })

  t.same((await control('PUT', '/latency', { ms: 120 })).body, { ms: 120 })
  const started = Date.now()
  await client.getSmartCard('bob', '777', ctx)
  t.ok(Date.now() - started >= 100, 'latency is added to SOAP calls')
  await control('PUT', '/latency', { ms: 0 })

  await client.updateRightHolder(holder, ctx)
  const { calls } = (await control('GET', '/calls')).body as { calls: Array<Record<string, unknown>> }
  t.same(calls.map((call) => [call.operation, call.httpStatus, call.code ?? call.result]),
    [['GetSmartCard', 200, undefined], ['GetSmartCard', 503, 'outage'], ['GetSmartCard', 200, undefined], ['UpsertRightHolder', 200, 'UPDATED']], 'seeding the card created its owner')
  t.match(calls[0], { correlationId: 'evt-sim', identifier: 'bob', idZdc: '777' })
  t.match(calls[3], { correlationId: 'evt-sim', identifier: 'bob' })
  const logged = JSON.stringify(calls)
  for (const personal of [holder.firstName, holder.lastName, holder.email, holder.birthDate, holder.ine]) {
    t.notOk(logged.includes(personal ?? '\u0000'), 'the call log holds no personal data')
  }

  t.match((await control('GET', '/state')).body, { holders: [{ rightHolder: { identifier: 'bob' } }], cards: [{ owner: 'bob', smartCard: { idZdc: '777' } }] })
  t.equal((await control('POST', '/reset')).status, 204)
  t.same((await control('GET', '/state')).body, { holders: [], cards: [] })
  t.same(simulator.calls, [])
  t.equal(simulator.outage, 'off')
})
