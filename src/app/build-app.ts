import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Config } from '../config/config.ts'
import type { IntakeService } from '../intake/intake-service.ts'
import { createProblem, problemFromError, sendProblem } from '../intake/problem.ts'
import { sgcIntakeRoutes } from '../intake/sgc-routes.ts'
import type { GatewayMetrics } from '../observability/metrics.ts'
import type { Breakers } from '../queue/breaker.ts'
import type { SyncQueues } from '../queue/sync-queues.ts'
import type { Registry } from '../registry/registry.ts'
import type { DownstreamName } from '../domain/downstream.ts'
import type { ValidityApi } from '../validity/validity-api.ts'
import { adminRoutes } from './admin-routes.ts'
import { docsRoutes } from './docs-routes.ts'
import { healthRoutes } from './health-routes.ts'
import { metricsRoutes } from './metrics-routes.ts'
import { queueDashboard } from './queue-dashboard.ts'
import { isRegistryUnavailable, sendRegistryUnavailable } from './registry-unavailable.ts'

export interface BuildAppOptions {
  config: Config
  logger: Logger
  redis: Redis
  registry: Registry
  /** The downstreams this gateway is configured for (Izly, and ESC when configured). */
  downstreams: readonly DownstreamName[]
  /** Without one (a worker-only process), only health and metrics are served. */
  intake: IntakeService | undefined
  queues: SyncQueues
  /** The downstreams' breakers, read by /metrics (left out of it without). */
  breakers?: Breakers
  metrics: GatewayMetrics
  /** The CROUS validity interfaces (REST and SOAP), served with the intake. */
  validity?: ValidityApi
}

/**
 * Composes the HTTP side; never listens (server start and shutdown belong to the caller). A worker-only
 * process still serves health and metrics, so its job outcomes and opposition lag can be scraped.
 */
export async function buildApp (options: BuildAppOptions): Promise<FastifyInstance> {
  const { config, registry, queues, metrics } = options
  const app = Fastify({
    // pino's Logger and Fastify's base logger type differ only in generics.
    loggerInstance: options.logger as unknown as FastifyBaseLogger,
    // Every log line of a request carries its id; the SGC's eventId is added where known.
    requestIdHeader: 'x-request-id',
    bodyLimit: config.batchBodyLimitBytes,
    return503OnClosing: true,
  })

  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequests.observe({
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    }, reply.elapsedTime / 1000)
  })
  app.setErrorHandler((error, request, reply) => {
    if (isRegistryUnavailable(error)) return sendRegistryUnavailable(request, reply, error)
    const problem = problemFromError(error)
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed')
    return sendProblem(reply, problem)
  })
  app.setNotFoundHandler((request, reply) => sendProblem(reply, createProblem({ status: 404, code: 'not-found', detail: `${request.method} ${request.url.split('?')[0] ?? ''} does not exist` })))

  await app.register(healthRoutes, { redis: options.redis })
  await app.register(metricsRoutes, { metrics, registry, queues, downstreams: options.downstreams, deadlineMs: config.redisRequestTimeoutMs, ...(options.breakers !== undefined ? { breakers: options.breakers } : {}) })
  if (options.intake !== undefined) {
    await app.register(sgcIntakeRoutes({
      intake: options.intake,
      secrets: config.sgcSecrets,
      bodyLimitBytes: config.bodyLimitBytes,
      batchBodyLimitBytes: config.batchBodyLimitBytes,
      maxAheadSeconds: config.occurredAtMaxAheadSeconds,
    }))
    await app.register(adminRoutes, { prefix: '/admin/v1', registry, queues, downstreams: options.downstreams, tokens: config.adminTokens })
    await app.register(queueDashboard, { queues, tokens: config.adminTokens })
    await options.validity?.register(app)
    await app.register(docsRoutes)
  }
  return app
}
