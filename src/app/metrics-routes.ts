import type { FastifyInstance } from 'fastify'
import type { DownstreamName } from '../domain/downstream.ts'
import type { GatewayMetrics } from '../observability/metrics.ts'
import type { SyncQueues } from '../queue/sync-queues.ts'
import type { Registry } from '../registry/registry.ts'

/** Prometheus text; queue depths, "needs attention" and out-of-sync counts are read at scrape time. */
export async function metricsRoutes (app: FastifyInstance, options: { metrics: GatewayMetrics, registry: Registry, queues: SyncQueues, downstreams: readonly DownstreamName[] }): Promise<void> {
  const { metrics, registry, queues } = options
  app.get('/metrics', async (_request, reply) => {
    try {
      for (const [queue, counts] of Object.entries(await queues.jobCounts())) {
        for (const [state, count] of Object.entries(counts)) metrics.queueDepth.set({ queue, state }, count)
      }
      const attention = await registry.countAttention()
      for (const downstream of options.downstreams) {
        metrics.attention.set({ downstream }, attention.get(downstream) ?? 0)
        metrics.dirtyCards.set({ downstream }, await registry.countDirty(downstream))
      }
    } catch (error) {
      // Still serve what is known; the HTTP and outcome series stay useful when Redis is down.
      app.log.warn({ err: error }, 'metrics: could not read queue depths from Redis')
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })
}
