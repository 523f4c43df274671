// SPEC §6 "an outage must cost almost nothing": when a downstream keeps failing, its jobs stop calling it.
// One call at a time probes it, across every worker process; the others wait in their queues; a permanent
// fault on a card says nothing about the downstream; once a probe goes through, oppositions drain first.
import t from 'tap'
import { cardEvent } from '../fixtures/card-events.ts'
import { breakerOpen } from '../helpers/breaker.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { forEachIzlyTransport, izlyCard, seedCard, seededOppositions, testIzly } from '../helpers/izly.ts'
import { testRedis, uniquePrefix } from '../helpers/redis.ts'
import { driveToRest } from '../helpers/rest.ts'
import { waitFor } from '../helpers/wait.ts'

/** Every call an enablement may make (the Izly operation names both faces record). */
const ENABLE_OPERATIONS = new Set(['GetRightHolder', 'UpsertRightHolder', 'PatchIdentifier', 'UncloseRightHolder', 'GetSmartCard', 'RegisterSmartCard', 'RevalidateSmartCard'])

forEachIzlyTransport(t, 'Izly down: two worker processes between them let one call at a time probe it; pending oppositions wait without calling', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const prefix = uniquePrefix()
  const first = await startTestGateway(t, { izlyEndpoint: izly.endpoint, prefix })
  await startTestGateway(t, { izlyEndpoint: izly.endpoint, prefix, cleanup: false })
  const cards = Array.from({ length: 40 }, () => {
    const enabled = cardEvent({ state: 'ENABLED' })
    seedCard(izly, enabled)
    return enabled
  })
  izly.setOutage('http503')
  izly.setLatency(100) // each call in flight long enough for an overlap to show
  t.equal((await first.postBatch(cards.map((enabled) => cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'LOST' })))).status, 202)

  await waitFor('the breaker to open', async () => await breakerOpen(first, 'izly'))
  await waitFor('the calls made before it opened to end', () => izly.concurrentCalls === 0)
  izly.peakConcurrentCalls = 0
  const before = izly.calls.length
  await waitFor('five probes', () => izly.calls.length >= before + 5, 30_000)
  t.equal(izly.peakConcurrentCalls, 1, 'one call at a time reached Izly while its breaker was open, from both processes together')
  const probed = new Set(izly.calls.slice(before).map((call) => call.correlationId))
  t.ok(probed.size >= 2, 'the probes are made by different cards: a failed probe goes to the back of the line')
  t.ok(cards.every((enabled) => izlyCard(izly, enabled.card.crous?.idZdc as string)?.opposed === false), 'nothing got through meanwhile')

  izly.setLatency(0)
  izly.setOutage('off')
  await waitFor('every opposition once Izly is back', () => cards.every((enabled) => izlyCard(izly, enabled.card.crous?.idZdc as string)?.opposed === true), 30_000)
  t.equal(await breakerOpen(first, 'izly'), false, 'the breaker closed')
})

forEachIzlyTransport(t, 'a permanent fault on one card does not count towards the breaker: the other cards go on', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint })
  const redis = await testRedis(t, gateway.prefix)
  // More permanent faults than BREAKER_FAILURES (5), each on its own card.
  const refused = Array.from({ length: 8 }, () => cardEvent({ state: 'ENABLED' }))
  const fine = Array.from({ length: 4 }, () => cardEvent({ state: 'ENABLED' }))
  for (const enabled of [...refused, ...fine]) seedCard(izly, enabled)
  for (const enabled of refused) izly.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 422, code: '-117', message: 'Client anonymisé', retryable: false, idZdc: enabled.card.crous?.idZdc as string })
  for (const enabled of [...refused, ...fine]) await gateway.post(cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'THEFT' }))
  await driveToRest(gateway)
  t.equal((await gateway.admin('GET', '/admin/v1/attention?code=-117')).body.count, refused.length, 'each refused card waits for a human')
  t.ok(fine.every((enabled) => izlyCard(izly, enabled.card.crous?.idZdc as string)?.opposed === true), 'the others were opposed')
  t.equal(await redis.hget(`${gateway.prefix}:breaker:izly`, 'trips'), null, 'the breaker never opened')
})

forEachIzlyTransport(t, 'when a probe goes through after an outage, the oppositions drain before the enablements', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint })
  izly.setOutage('http503')
  const oppositions = seededOppositions(izly, 20)
  const enablements = Array.from({ length: 20 }, () => cardEvent({ state: 'ENABLED' }))
  t.equal((await gateway.postBatch([...enablements, ...oppositions])).status, 202)
  await waitFor('the breaker to open', async () => await breakerOpen(gateway, 'izly'))
  // Jobs that passed the breaker just before it opened have met the outage by the time it probes.
  const opened = izly.calls.length
  await waitFor('a probe', () => izly.calls.length > opened && izly.concurrentCalls === 0)
  const fromOutage = izly.calls.length

  izly.setOutage('off')
  await waitFor('every card in line', () =>
    oppositions.every((event) => izlyCard(izly, event.card.crous?.idZdc as string)?.opposed === true) &&
    enablements.every((event) => izlyCard(izly, event.card.crous?.idZdc as string)?.opposed === false), 30_000)
  const answered = izly.calls.slice(fromOutage).filter((call) => (call.httpStatus >= 200 && call.httpStatus < 300) || call.code === '-9' || (call.httpStatus === 404 && call.operation === 'GetRightHolder'))
  // The probe (the first call that went through) may be an enablement: its own job's next calls follow it.
  const probe = answered[0]?.correlationId
  const afterProbe = answered.filter((call) => call.correlationId !== probe)
  const lastOpposition = afterProbe.findLastIndex((call) => call.operation === 'OpposeSmartCard')
  const firstEnablement = afterProbe.findIndex((call) => ENABLE_OPERATIONS.has(call.operation))
  t.ok(lastOpposition >= 0 && firstEnablement >= 0, 'both lanes had work')
  t.ok(lastOpposition < firstEnablement, `every opposition reached Izly (last at #${lastOpposition}) before the first enablement call (#${firstEnablement})`)
})
