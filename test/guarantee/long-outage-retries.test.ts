// Drill, worst case of a long outage: a card retried hundreds of times (its breaker held closed, as with a
// downstream failing for some cards only) keeps a constant size in Redis: one stack trace on its job,
// repeated faults coalesced into one timeline line. (long-outage.test.ts is the outage with its breaker.)
import t from 'tap'
import type { CardEvent } from '../../src/domain/card-event.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { forEachIzlyTransport, izlyCard, seededOppositions, testIzly } from '../helpers/izly.ts'
import { average, BOUND_PER_CARD, cardBytes } from '../helpers/memory.ts'
import { testRedis } from '../helpers/redis.ts'
import { waitFor } from '../helpers/wait.ts'

const attemptsOf = async (redis: Awaited<ReturnType<typeof testRedis>>, prefix: string, events: readonly CardEvent[]): Promise<number[]> => {
  const { jobIdFor } = await import('../../src/queue/lanes.ts')
  const pipeline = redis.pipeline()
  for (const event of events) pipeline.hget(`${prefix}:bull:izly-oppose:${jobIdFor(event.card.id)}`, 'atm')
  return (await pipeline.exec() ?? []).map(([, attempts]) => Number(attempts ?? 0))
}

forEachIzlyTransport(t, 'a card retried hundreds of times keeps a constant size in Redis (breaker held closed: the worst case)', async (t, transport) => {
  const izly = await testIzly(t, transport)
  // BREAKER_FAILURES=0: every card retried on its own, as with a downstream that fails for some cards only.
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint, extra: { BREAKER_FAILURES: '0', RETRY_BASE_MS: '5', RETRY_MAX_MS: '20' } })
  const redis = await testRedis(t, gateway.prefix)
  const events = seededOppositions(izly, 20)
  izly.setOutage('reset')
  t.equal((await gateway.postBatch(events)).status, 202)
  const ids = events.map((event) => event.card.id)

  await waitFor('ten retries of every card', async () => Math.min(...await attemptsOf(redis, gateway.prefix, events)) >= 10)
  const before = await cardBytes(redis, gateway.prefix, ids)
  await waitFor('three hundred retries of every card', async () => Math.min(...await attemptsOf(redis, gateway.prefix, events)) >= 300, 120_000)
  const after = await cardBytes(redis, gateway.prefix, ids)
  t.comment(`per card: ${average(before).toFixed(0)} bytes after 10 retries, ${average(after).toFixed(0)} bytes after 300 (own keys, MEMORY USAGE)`)
  t.ok(Math.max(...after.map((bytes, index) => bytes - (before[index] ?? 0))) <= 64, 'no card grew with its retries (a few bytes of counters at most)')
  t.ok(Math.max(...after) <= BOUND_PER_CARD, `every card stays under ${BOUND_PER_CARD} bytes`)
  const faults = (await gateway.admin('GET', `/admin/v1/cards/${ids[0] ?? ''}/timeline`)).body.entries.filter((entry: { type: string }) => entry.type === 'fault')
  t.equal(faults.length, 1, 'hundreds of identical faults are one timeline line')
  t.ok(faults[0].count >= 300, `counted (${faults[0].count as number}), with a first and a last time`)
  izly.setOutage('off')
  await waitFor('every opposition', () => events.every((event) => izlyCard(izly, event.card.crous?.idZdc as string)?.opposed === true), 30_000)
})

