// Drill: a long Izly outage (SPEC §6 "even when CROUS is down for hours"). Storage per pending card stays
// bounded by a constant however long it lasts and however often a card is retried; the outage costs the
// worker almost nothing once its breaker is open; when Izly is back every opposition arrives, each once in effect.
import { readFileSync } from 'node:fs'
import t from 'tap'
import type { CardEvent } from '../../src/domain/card-event.ts'
import { breakerOpen } from '../helpers/breaker.ts'
import { startChildGateway } from '../helpers/child-gateway.ts'
import { startTestGateway, testEnv } from '../helpers/gateway.ts'
import { seededOppositions, testIzly } from '../helpers/izly.ts'
import { isCardOpposed } from '../../src/simulators/izly/state.ts'
import { average, BOUND_PER_CARD, cardBytes, cpuSeconds, prefixBytes } from '../helpers/memory.ts'
import { testRedis, uniquePrefix } from '../helpers/redis.ts'
import { driveToRest } from '../helpers/rest.ts'
import { sleep, waitFor } from '../helpers/wait.ts'

// Longer than the suite's 120 s per file: the drill waits out the outage's first minute on purpose.
t.setTimeout(300_000)

t.test('1,000 oppositions through a long outage: constant storage per card, a worker idle behind its breaker, and every card opposed once when Izly is back', async (t) => {
  const izly = await testIzly(t)
  const prefix = uniquePrefix()
  const timings = { RETRY_BASE_MS: '20', RETRY_MAX_MS: '200', BREAKER_OPEN_MS: '1000', SWEEP_INTERVAL_MS: '1000' }
  const api = await startTestGateway(t, { izlyEndpoint: izly.url, prefix, role: 'api', extra: timings })
  const redis = await testRedis(t, prefix)
  const events = seededOppositions(izly, 1000)
  const ids = events.map((event) => event.card.id)
  // Straight from the simulator's map: a thousand dumps per poll would slow the Izly being measured.
  const opposed = (event: CardEvent): boolean => {
    const card = izly.state.cards.get(event.card.crous?.idZdc as string)
    return card !== undefined && isCardOpposed(card)
  }

  izly.setOutage('http503')
  const outageStarted = Date.now()
  const worker = await startChildGateway(t, testEnv({ izlyEndpoint: izly.url, prefix, role: 'worker', extra: timings }))
  t.equal((await api.postBatch(events)).status, 202, '1,000 oppositions accepted while Izly is down')
  await waitFor('the breaker to open', async () => await breakerOpen(api, 'izly'), 30_000)
  const before = average(await cardBytes(redis, prefix, ids))
  const totalBefore = await prefixBytes(redis, prefix)

  // The first minute of the outage, then its cost over the next twenty seconds.
  await sleep(Math.max(0, 60_000 - (Date.now() - outageStarted)))
  const pid = worker.process.pid ?? 0
  const cpuAtMinute = cpuSeconds(pid, (path) => readFileSync(path, 'utf8'))
  const callsAtMinute = izly.calls.length
  await sleep(20_000)
  const cpu = (cpuSeconds(pid, (path) => readFileSync(path, 'utf8')) - cpuAtMinute) / 20
  const calls = izly.calls.length - callsAtMinute
  const afterEach = await cardBytes(redis, prefix, ids)
  const after = average(afterEach)
  const totalAfter = await prefixBytes(redis, prefix)
  t.comment(`storage per pending card (own keys): ${before.toFixed(0)} bytes when the breaker opened, ${after.toFixed(0)} bytes 80 s into the outage`)
  t.comment(`every key under the prefix: ${(totalBefore.bytes / ids.length).toFixed(0)} then ${(totalAfter.bytes / ids.length).toFixed(0)} bytes per pending card (${totalAfter.keys} keys)`)
  t.comment(`worker process CPU during the outage after its first minute: ${(cpu * 100).toFixed(1)} % of a core; ${calls} calls reached Izly in those 20 s (shared machine)`)
  // A card probed during the outage gains its one fault line and one stack trace, once: never more.
  t.ok(Math.max(...afterEach) <= BOUND_PER_CARD, `every pending card stays under ${BOUND_PER_CARD} bytes (largest ${Math.max(...afterEach)})`)
  t.ok(calls <= 2 * 20 + 5, 'Izly was probed, not hammered: about one call per BREAKER_OPEN_MS')
  t.ok(events.every((event) => !opposed(event)), 'nothing could be opposed meanwhile')
  t.equal((await api.admin('GET', '/admin/v1/attention')).body.count, 0, 'an outage is transient: nobody is asked')

  izly.setOutage('off')
  const back = Date.now()
  await waitFor('every opposition after the outage', () => events.every(opposed), 120_000, 100)
  const drainedMs = Date.now() - back
  t.comment(`Izly back: the 1,000 oppositions drained in ${(drainedMs / 1000).toFixed(1)} s (shared machine)`)
  await driveToRest(api, { timeoutMs: 60_000 })
  const opposedCalls = new Map<string, number>()
  for (const call of izly.calls) if (call.operation === 'OpposeSmartCard' && call.result === 'OPPOSED' && call.idZdc !== undefined) opposedCalls.set(call.idZdc, (opposedCalls.get(call.idZdc) ?? 0) + 1)
  t.ok(events.every((event) => opposedCalls.get(event.card.crous?.idZdc as string) === 1), 'each card opposed exactly once in effect (any replay found it already opposed)')
  t.ok(events.every((event) => izly.state.cards.get(event.card.crous?.idZdc as string)?.reason === 'DP'), 'with its reason')
  t.match(await api.app.inject({ method: 'GET', url: '/metrics' }), { body: /leocarte_cards_out_of_sync\{downstream="izly"\} 0/ }, 'every card in line')
})
