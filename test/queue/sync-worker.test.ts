import t from 'tap'
import type { QueueConfig } from '../../src/config/config.ts'
import type { DownstreamSync } from '../../src/downstream/types.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { createMetrics } from '../../src/observability/metrics.ts'
import { Breakers } from '../../src/queue/breaker.ts'
import { SyncQueues } from '../../src/queue/sync-queues.ts'
import { startSyncWorker } from '../../src/queue/sync-worker.ts'
import { timelineEntry } from '../../src/registry/timeline.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { testRedis, testRegistry, uniquePrefix } from '../helpers/redis.ts'
import { sleep, waitFor } from '../helpers/wait.ts'

t.test('the card lease outlives a run longer than JOB_LOCK_MS, so the other lane cannot act on the card meanwhile', async (t) => {
  const prefix = uniquePrefix()
  const redis = await testRedis(t, prefix)
  const registry = testRegistry(redis, prefix)
  const queues = new SyncQueues(redis, registry.keys.bullPrefix(), ['izly'])
  const lockMs = 600
  const config: QueueConfig = { prefix, opposeConcurrency: 1, enableConcurrency: 1, retryBaseMs: 50, retryMaxMs: 400, lockMs, stalledCheckMs: 1000, sweepIntervalMs: 300, breakerFailures: 5, breakerOpenMs: 300, doubtfulFaultMaxMs: 60_000 }
  let started = false
  // An enablement is several calls, each bounded only by the call timeout: together they may exceed JOB_LOCK_MS.
  const slow: DownstreamSync = {
    name: 'izly',
    async apply () {
      started = true
      await sleep(lockMs * 3)
      return { remoteState: 'active', outcome: 'registered' }
    },
  }
  const breakers = new Breakers(redis, registry.keys, queues, { failures: 5, openMs: 300, probeLeaseMs: lockMs })
  const worker = startSyncWorker({ connection: redis, registry, queues, breakers, sync: slow, lane: 'enable', config, logger: createLogger('silent'), metrics: createMetrics() })
  t.teardown(async () => {
    await worker.close()
    await queues.close()
  })

  const event = cardEvent({ state: 'ENABLED' })
  const cardId = event.card.id
  await registry.accept(event, 'fp')
  await queues.wake('izly', 'enable', cardId)
  await waitFor('the run to start', () => started)
  await sleep(lockMs * 2)
  const taken = await registry.acquireLease('izly', cardId, lockMs)
  t.equal(taken, null, 'the running job still holds the card lease')
  if (taken !== null) await registry.releaseLease('izly', cardId, taken)
  // A run that always outlasts a lapsing lease would have its confirmation refused and be retried forever.
  await waitFor('the confirmation', async () => (await registry.getSync('izly', cardId)).confirmedVersion === 1, 8000)
  t.equal((await registry.getSync('izly', cardId)).outcome, 'registered', 'confirmed under the lease it kept')
})

t.test('a run whose card lease lapsed mid-call has its confirmation refused; the card is reopened and the desired state asserted again', async (t) => {
  const prefix = uniquePrefix()
  const redis = await testRedis(t, prefix)
  const registry = testRegistry(redis, prefix)
  const queues = new SyncQueues(redis, registry.keys.bullPrefix(), ['izly'])
  const config: QueueConfig = { prefix, opposeConcurrency: 1, enableConcurrency: 1, retryBaseMs: 50, retryMaxMs: 200, lockMs: 4000, stalledCheckMs: 1000, sweepIntervalMs: 300, breakerFailures: 5, breakerOpenMs: 300, doubtfulFaultMaxMs: 60_000 }
  const event = cardEvent({ state: 'DISABLED', disableReason: 'LOST' })
  const cardId = event.card.id
  const runs: number[] = []
  // First run: the process "pauses" past JOB_LOCK_MS mid-call; meanwhile another worker takes the lapsed
  // lease and confirms the card. The late run's confirmation must be refused, and the card reopened.
  const paused: DownstreamSync = {
    name: 'izly',
    async apply (_record, confirmed) {
      runs.push(confirmed.confirmedVersion)
      if (runs.length === 1) {
        await redis.del(registry.keys.lease('izly', cardId))
        const other = await registry.acquireLease('izly', cardId, 4000) as string
        await registry.confirm({ downstream: 'izly', cardId, leaseToken: other, version: 1, remoteState: 'active', outcome: 'other-worker', entry: timelineEntry('sync', {}) })
        await registry.releaseLease('izly', cardId, other)
      }
      return { remoteState: 'opposed', outcome: 'opposed' }
    },
  }
  const breakers = new Breakers(redis, registry.keys, queues, { failures: 5, openMs: 300, probeLeaseMs: 4000 })
  const worker = startSyncWorker({ connection: redis, registry, queues, breakers, sync: paused, lane: 'oppose', config, logger: createLogger('silent'), metrics: createMetrics() })
  t.teardown(async () => {
    await worker.close()
    await queues.close()
  })
  await registry.accept(event, 'fp')
  await queues.wake('izly', 'oppose', cardId)
  await waitFor('the second run', () => runs.length >= 2)
  t.same(runs, [0, 0], 'the second run starts from a confirmation taken back (0), not from the other worker\'s (1)')
  await waitFor('the confirmation of the second run', async () => (await registry.getSync('izly', cardId)).outcome === 'opposed')
  t.match(await registry.standing('izly', cardId), { status: 'in-line' })
  const faults = (await registry.getTimeline(cardId)).filter((entry) => entry.type === 'fault')
  t.match(faults, [{ code: 'LEASE_LOST', transient: true }], 'the refused confirmation is in the timeline')
})
