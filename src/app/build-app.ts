import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyRequest, LogController } from 'fastify'
import { API_CROUS_PREFIX, carriesHolderKey } from '../facade/api-crous/routes.ts'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Config } from '../config/config.ts'
import type { IntakeService } from '../intake/intake-service.ts'
import { createProblem, problemFromError, sendProblem } from '../intake/problem.ts'
import { sgcIntakeRoutes } from '../intake/sgc-routes.ts'
import type { GatewayMetrics } from '../observability/metrics.ts'
import type { Tracing } from '../observability/tracing.ts'
import type { Breakers } from '../queue/breaker.ts'
import type { SyncQueues } from '../queue/sync-queues.ts'
import type { Registry } from '../registry/registry.ts'
import type { DownstreamName } from '../domain/downstream.ts'
import type { ValidityApi } from '../validity/validity-api.ts'
import type { HolderErasureResult } from '../retention/holder-erasure.ts'
import { ESC_FACADE_BASE, type EscFacade } from '../facade/esc-router/esc-facade.ts'
import { carriesPersonIdentifier } from '../facade/esc-router/routes.ts'
import { sendFacadeFrameworkError } from '../facade/esc-router/error-body.ts'
import { adminRoutes } from './admin-routes.ts'
import { consoleRoutes } from './console/console-routes.ts'
import { docsRoutes } from './docs-routes.ts'
import { healthRoutes } from './health-routes.ts'
import { metricsRoutes, type MetricsRoutesOptions } from './metrics-routes.ts'
import { readNoBodies } from './no-body.ts'
import { isRegistryUnavailable, sendRegistryUnavailable } from './registry-unavailable.ts'
import { renderApiCrousRefusal, renderEscFacadeRefusal } from './protection/facade-refusals.ts'
import { loadShedding } from './protection/load-shedding.ts'
import { clientFingerprint, createProtection, noProtection, protectionMetrics } from './protection/rate-limits.ts'
import { presentedToken, queueDashboard } from './queue-dashboard.ts'
import { securityHeaders } from './security-headers.ts'

export interface BuildAppOptions {
  config: Config
  logger: Logger
  /** True once the process is shutting down: readiness fails while requests are still served. */
  isDraining?: () => boolean
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
  /** A holder's erasure (DELETE /admin/v1/holders/{eppn}), served with the admin API. */
  erasure?: { erase (eppn: string): Promise<HolderErasureResult> }
  /** A server span per request when tracing is on. */
  tracing?: Tracing
  /** ESUP-SGC's ESC Router façade (src/facade/esc-router), served with the intake. */
  escFacade?: EscFacade
  /** The API CROUS façade for ESUP-SGC (src/facade/api-crous), served with the intake under /api-crous. */
  apiCrous?: FastifyPluginAsync
  /** The rate limits' connection (fail-fast, short command timeout); defaults to `redis`. */
  rateLimitRedis?: Redis
  /** Pressure on demand for tests and drills: false sheds load (see protection/load-shedding.ts). */
  pressureCheck?: () => Promise<boolean>
  /** Whether /metrics is served here; false when METRICS_PORT gives it a listener of its own. @defaultValue true */
  serveMetrics?: boolean
}

/**
 * The longest path parameter, in UTF-16 units: `card.id` is at most 255 characters (code points, as the
 * schema counts them), each at most two units.
 */
export const MAX_PARAM_LENGTH = 255 * 2

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
    // The façades' paths carry a right-holder key (an eppn, an INE, an ESI): their requests are not logged by URL.
    logController: new LogController({ disableRequestLogging: (request: { url?: string }) => carriesHolderKey(request.url ?? '') || carriesPersonIdentifier(request.url ?? '') }),
    // The small limit everywhere; the batch route alone raises it (sgc-routes.ts).
    bodyLimit: config.bodyLimitBytes,
    return503OnClosing: true,
    // Slow clients are cut: the whole request within REQUEST_TIMEOUT_MS, its headers within
    // HEADERS_TIMEOUT_MS, checked every second (Node checks every 30 s by default).
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    http: { headersTimeout: config.http.headersTimeoutMs, connectionsCheckingInterval: 1000 },
    // Whatever card.id intake accepts, the admin routes reach: find-my-way counts UTF-16 units.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // What the router refuses (a path segment that decodes to no character) is problem+json too.
    // (The reply is thenable: void says nothing waits for it to finish, as Fastify does not here.)
    frameworkErrors: (error, request, reply) => {
      // Under the ESC Router façade, the router's {code, message} (ESUP-SGC reads nothing else).
      if (options.escFacade !== undefined && sendFacadeFrameworkError(ESC_FACADE_BASE, request, reply, error)) return
      void sendProblem(reply, problemFromError(error))
    },
    // TRUST_PROXY: behind an ingress, the caller's address (which failed authentications count by) is X-Forwarded-For's.
    trustProxy: trustProxyOption(config.protection.ops.trustProxy),
  })
  // Before any route: its hooks wrap every route's handler in the request's span.
  options.tracing?.instrument(app)
  // First: a process under pressure answers 503 before spending a Redis call on the request.
  await loadShedding(app, { config: config.protection.shedding, registry: metrics.registry, ...(options.pressureCheck !== undefined ? { check: options.pressureCheck } : {}) })
  readNoBodies(app, config.bodyLimitBytes)
  securityHeaders(app)

  // While shutting down, every answer ends its connection, so that no kept-alive socket holds the close
  // up and the client's next request goes to a process that stays.
  app.addHook('onSend', async (_request, reply) => {
    if (options.isDraining?.() === true) reply.header('connection', 'close')
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

  await app.register(healthRoutes, { redis: options.redis, ...(options.isDraining !== undefined ? { isDraining: options.isDraining } : {}) })
  if (options.serveMetrics !== false) await app.register(metricsRoutes, metricsRoutesOptions(options))
  if (options.intake !== undefined) {
    const intake = options.intake
    // Every interface a client authenticates on is limited per client and on failed authentications
    // (protection/rate-limits.ts); health, metrics and docs are not.
    const protection = config.protection.rateLimit.enabled
      ? await createProtection(app, {
        config: config.protection.rateLimit,
        redis: options.rateLimitRedis ?? options.redis,
        namespace: `${config.queue.prefix}:rate-limit:`,
        pseudonymKey: config.pseudonymKey,
        metrics: protectionMetrics(metrics.registry),
      })
      : noProtection()
    // The SGC is one client, whichever of its (rotating) secrets signed.
    await protection.guard(app, 'intake', async (scope) => {
      await scope.register(sgcIntakeRoutes({
        intake,
        secrets: config.sgcSecrets,
        bodyLimitBytes: config.bodyLimitBytes,
        batchBodyLimitBytes: config.batchBodyLimitBytes,
        maxAheadSeconds: config.occurredAtMaxAheadSeconds,
      }))
    }, { identify: () => 'sgc' })
    // A client known by the token or key it presents (a fingerprint, never the secret).
    const byBearer = (request: FastifyRequest): string | undefined => { const token = presentedToken(request.headers.authorization); return token === undefined ? undefined : `token:${clientFingerprint(token)}` }
    // The admin API and the queue dashboard count together, per token.
    await protection.guard(app, 'admin', async (scope) => {
      await scope.register(adminRoutes, {
        prefix: '/admin/v1',
        registry,
        queues,
        downstreams: options.downstreams,
        tokens: config.adminOperators,
        timeZone: config.validity.timeZone,
        ...(options.erasure !== undefined ? { erasure: { erasure: options.erasure, pseudonymKey: config.pseudonymKey, logger: options.logger } } : {}),
      })
      await scope.register(queueDashboard, { queues, tokens: config.adminTokens })
    }, { identify: byBearer })
    // Static files holding no data, served without a token (the page calls the admin API with one).
    await app.register(consoleRoutes)
    await options.validity?.register(app, protection)
    // ESUP-SGC's connectors, each client by the token or key it presents; refusals in the peer's own error format.
    const escFacade = options.escFacade
    if (escFacade !== undefined) await protection.guard(app, 'facade-esc', async (scope) => { await escFacade.register(scope) }, { identify: byBearer, render: renderEscFacadeRefusal })
    const apiCrous = options.apiCrous
    if (apiCrous !== undefined) await protection.guard(app, 'facade-crous', async (scope) => { await scope.register(apiCrous, { prefix: API_CROUS_PREFIX }) }, { identify: byBearer, render: renderApiCrousRefusal })
    if (config.protection.ops.docsEnabled) await app.register(docsRoutes, { ...(config.protection.ops.docsToken !== undefined ? { token: config.protection.ops.docsToken } : {}) })
  }
  return app
}

export function metricsRoutesOptions (options: BuildAppOptions): MetricsRoutesOptions {
  const { config } = options
  return {
    metrics: options.metrics,
    registry: options.registry,
    queues: options.queues,
    downstreams: options.downstreams,
    deadlineMs: config.redisRequestTimeoutMs,
    ...(options.breakers !== undefined ? { breakers: options.breakers } : {}),
    ...(config.protection.ops.metricsToken !== undefined ? { token: config.protection.ops.metricsToken } : {}),
  }
}

/**
 * METRICS_PORT: /metrics alone on a listener of its own (a port the ingress never exposes), with the same
 * collectors as the API's; never load-shed, never rate-limited, behind METRICS_TOKEN when set.
 */
export async function buildMetricsApp (options: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: options.logger as unknown as FastifyBaseLogger, return503OnClosing: true })
  securityHeaders(app)
  app.setNotFoundHandler((request, reply) => sendProblem(reply, createProblem({ status: 404, code: 'not-found', detail: `${request.method} ${request.url.split('?')[0] ?? ''} does not exist (this port serves /metrics)` })))
  await app.register(metricsRoutes, metricsRoutesOptions(options))
  return app
}

/** A hop count as Fastify applies one (the nearest `hops` proxies are believed); its types take no number. */
function trustProxyOption (setting: boolean | number | string[]): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting !== 'number') return setting
  return (_address, hop) => hop < setting
}
