import type { FastifyInstance } from 'fastify'
import type { DownstreamName } from '../domain/downstream.ts'
import type { GatewayMetrics } from '../observability/metrics.ts'
import type { Breakers } from '../queue/breaker.ts'
import type { SyncQueues } from '../queue/sync-queues.ts'
import type { Registry } from '../registry/registry.ts'
import { withDeadline } from '../registry/unavailable.ts'
import { tokenGate } from './protection/token-gate.ts'

export interface MetricsRoutesOptions {
  metrics: GatewayMetrics
  registry: Registry
  queues: SyncQueues
  breakers?: Breakers
  downstreams: readonly DownstreamName[]
  /** The longest a scrape waits for Redis. @defaultValue 1000 */
  deadlineMs?: number
  /** METRICS_TOKEN: the bearer token a scrape must send; none means open. */
  token?: string
}

/**
 * Prometheus text. What Redis holds (queue depths, attention and out-of-sync counts, breakers, the last
 * sweep's findings) is read at scrape time with a constant number of commands, whatever the number of cards:
 * counts are kept by Redis (HLEN, ZCARD, BullMQ's own), and the oldest pending opposition by the sweeper.
 * A scrape that cannot read Redis clears those gauges and raises leocarte_metrics_redis_failed, so that
 * nothing stale is ever exported.
 */
export async function metricsRoutes (app: FastifyInstance, options: MetricsRoutesOptions): Promise<void> {
  const { metrics, registry, queues, breakers, downstreams } = options
  const deadlineMs = options.deadlineMs ?? 1000
  tokenGate(app, options.token, 'metrics', 'leocarte-metrics')

  async function collect (): Promise<void> {
    const now = Date.now()
    const perQueue = await Promise.all(queues.all().map(async (queue) => ({
      name: queue.name,
      counts: await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'failed'),
      paused: await queue.isPaused(),
      limited: await queue.getGlobalRateLimit() !== null || await queue.getGlobalConcurrency() !== null,
    })))
    const [attention, dirty, stats, states] = await Promise.all([
      registry.countAttention(),
      Promise.all(downstreams.map(async (downstream) => await registry.countDirty(downstream))),
      registry.readSweepStats(),
      Promise.all(downstreams.map(async (downstream) => await breakers?.state(downstream))),
    ])
    for (const gauge of metrics.redisGauges) gauge.reset()
    for (const { name, counts, paused, limited } of perQueue) {
      for (const [state, count] of Object.entries(counts)) metrics.queueDepth.set({ queue: name, state }, count)
      metrics.queuePaused.set({ queue: name }, paused ? 1 : 0)
      metrics.queueRateLimited.set({ queue: name }, limited ? 1 : 0)
    }
    downstreams.forEach((downstream, index) => {
      const waiting = attention.get(downstream) ?? 0
      metrics.attention.set({ downstream }, waiting)
      metrics.dirtyCards.set({ downstream }, (dirty[index] ?? 0) + waiting)
      const swept = stats.get(downstream)
      if (swept !== undefined) {
        metrics.sweepAge.set({ downstream }, Math.max(0, now - swept.sweptAtMs) / 1000)
        metrics.oldestPendingOpposition.set({ downstream }, swept.oldestPendingOppositionMs === null ? 0 : Math.max(0, now - swept.oldestPendingOppositionMs) / 1000)
      }
      const state = states[index]
      if (state !== undefined) {
        metrics.breakerOpen.set({ downstream }, state.openUntil > 0 ? 1 : 0)
        metrics.breakerFailures.set({ downstream }, state.failures)
        metrics.breakerDoubtful.set({ downstream }, state.suspectSince > 0 ? Math.max(0, now - state.suspectSince) / 1000 : 0)
      }
    })
  }

  app.get('/metrics', async (_request, reply) => {
    try {
      await withDeadline(collect(), deadlineMs, 'metrics')
      metrics.metricsRedisFailed.set(0)
    } catch (error) {
      // Still serve what is known (HTTP, outcomes, lag), never a value Redis last said minutes ago.
      for (const gauge of metrics.redisGauges) gauge.reset()
      metrics.metricsRedisFailed.set(1)
      app.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'metrics: could not read Redis; its gauges are left out')
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })
}
