// SPEC §10's sweeper, at scale: one pass covers every dirty card (20,000 here) in pipelined reads, enqueues
// exactly the one whose wake-up was dropped, leaves cards waiting for an operator out of the scan, and runs
// once per SWEEP_INTERVAL_MS for the whole deployment (a BullMQ job scheduler), not once per replica.
import t from 'tap'
import { Queue } from 'bullmq'
import type { CardEvent } from '../../src/domain/card-event.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { jobIdFor } from '../../src/queue/lanes.ts'
import { createSweeper, scheduleSweeps, SWEEP_QUEUE } from '../../src/queue/sweeper.ts'
import { SyncQueues } from '../../src/queue/sync-queues.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { testRedis, testRegistry, uniquePrefix } from '../helpers/redis.ts'
import { waitFor } from '../helpers/wait.ts'

const CARDS = 20_000

t.test('one pass covers 20,000 dirty cards and enqueues exactly the one whose wake-up was dropped; attention cards are not scanned', async (t) => {
  const prefix = uniquePrefix()
  const redis = await testRedis(t, prefix)
  const registry = testRegistry(redis, prefix)
  const queues = new SyncQueues(redis, registry.keys.bullPrefix(), ['izly'])
  t.teardown(async () => await queues.close())

  // 20,000 cards accepted, each woken (a job waiting, as during an outage), but one whose wake-up was lost.
  const events: CardEvent[] = Array.from({ length: CARDS }, (_, i) => cardEvent({ cardId: `sweep-${prefix}-${i}`, state: i % 2 === 0 ? 'DISABLED' : 'ENABLED' }))
  for (let start = 0; start < CARDS; start += 500) {
    await Promise.all(events.slice(start, start + 500).map(async (event) => await registry.accept(event, event.eventId)))
  }
  const lost = events[4242] as CardEvent
  for (const lane of ['oppose', 'enable'] as const) {
    const ids = events.filter((event) => event !== lost && (event.card.state === 'ENABLED') === (lane === 'enable')).map((event) => event.card.id)
    for (let start = 0; start < ids.length; start += 1000) {
      await queues.queue('izly', lane).addBulk(ids.slice(start, start + 1000).map((cardId) => ({ name: 'sync', data: { cardId }, opts: { jobId: jobIdFor(cardId) } })))
    }
  }
  // Ten more wait for an operator: out of the dirty set, so the pass does not look at them.
  const parked = events.slice(100, 110)
  for (const event of parked) {
    await registry.markAttention({ downstream: 'izly', cardId: event.card.id, version: 1, lane: 'oppose', code: '-42', message: 'x', correlationId: event.eventId, at: new Date().toISOString(), pendingSinceMs: Date.now() })
  }

  const sweeper = createSweeper({ registry, queues, downstreams: ['izly'], logger: createLogger('silent') })
  const report = await sweeper.pass()
  t.equal(report.scanned, CARDS - parked.length, 'one pass looked at every dirty card, and at no card waiting for an operator')
  t.equal(report.woken, 1, 'and enqueued one card: the one whose wake-up was dropped')
  t.equal(await queues.queue('izly', 'oppose').getJobState(jobIdFor(lost.card.id)), 'waiting', 'in its lane (an opposition)')
  t.ok(report.downstreams.izly?.oldestPendingOppositionMs !== null, 'and noted the oldest pending opposition')
  t.comment(`one sweep pass over ${report.scanned} dirty cards took ${report.ms} ms (shared machine)`)
  t.equal((await sweeper.pass()).woken, 0, 'a second pass finds nothing more to do')
})

t.test('several worker processes sweep once per interval between them: one job scheduler for the deployment', async (t) => {
  const prefix = uniquePrefix()
  const redis = await testRedis(t, prefix)
  const registry = testRegistry(redis, prefix)
  const queues = new SyncQueues(redis, registry.keys.bullPrefix(), ['izly'])
  t.teardown(async () => await queues.close())
  let passes = 0
  const counting = createSweeper({ registry, queues, downstreams: ['izly'], logger: createLogger('silent') })
  const sweeper = { ...counting, pass: async () => { passes++; return await counting.pass() } }
  // Three "replicas" on one Redis, each upserting the schedule and running a sweep worker.
  const replicas = await Promise.all([0, 1, 2].map(async () => await scheduleSweeps({ connection: redis, prefix: registry.keys.bullPrefix(), sweeper, intervalMs: 200, logger: createLogger('silent') })))
  t.teardown(async () => { for (const replica of replicas) await replica.stop() })
  const queue = new Queue(SWEEP_QUEUE, { connection: redis, prefix: registry.keys.bullPrefix() })
  t.teardown(async () => await queue.close())
  t.equal((await queue.getJobSchedulers()).length, 1, 'one schedule, whoever upserted it')
  await waitFor('a few sweeps', async () => ((await queue.getJobCounts('completed')).completed ?? 0) >= 4)
  const completed = await queue.getCompleted()
  const iterations = new Set(completed.map((job) => job.id))
  t.equal(iterations.size, completed.length, 'each scheduled iteration ran once, by one replica')
  t.ok(passes >= completed.length && passes <= completed.length + 3, `passes (${passes}) match the iterations (${completed.length}), not three times as many`)
})
