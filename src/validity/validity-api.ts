import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Dispatcher } from 'undici'
import { clientFingerprint, type Protection } from '../app/protection/rate-limits.ts'
import type { Config } from '../config/config.ts'
import type { GatewayMetrics } from '../observability/metrics.ts'
import type { Registry } from '../registry/registry.ts'
import { withDeadline } from '../registry/unavailable.ts'
import { createValidityChecker, type ValidityChecker } from './check-validity.ts'
import { validityRestRoutes } from './rest-routes.ts'
import { createRouterStatusClient, type RouterStatusLookup } from './router-status-client.ts'
import { faultResponse } from './soap/soap-messages.ts'
import { createRedisNonceStore } from './soap/redis-nonce-store.ts'
import { validitySoapRoutes } from './soap/soap-routes.ts'
import { createValiditySoapService, soapVersionOfContentType, type ValiditySoapService } from './soap/soap-service.ts'
import { createWsdlServer } from './soap/wsdl-contract.ts'
import type { ValidityCall } from './validity-call.ts'

export interface ValidityApiOptions {
  config: Config
  registry: Registry
  /** For the WS-Security nonces; the API's fail-fast connection. */
  redis: Redis
  logger: Logger
  metrics: GatewayMetrics
  /** The router's REST base; defaults to ESC_ROUTER_STATUS_URL, else ESC_ROUTER_URL (the demo passes its simulator's). */
  routerStatusUrl?: string
  /** Transport to the router (tests, benchmarks). */
  routerDispatcher?: Dispatcher
  /** The longest a lookup waits for Redis before it is answered 503. @defaultValue 1000 */
  lookupDeadlineMs?: number
}

/** The CROUS validity service (SPEC §7): one checker behind a REST and a SOAP interface. */
export interface ValidityApi {
  checker: ValidityChecker
  soap: ValiditySoapService
  router: RouterStatusLookup
  /** Registers both interfaces on `app` (each in its own encapsulated plugin), limited by `protection` when given. */
  register (app: FastifyInstance, protection?: Protection): Promise<void>
  close (): Promise<void>
}

export function createValidityApi (options: ValidityApiOptions): ValidityApi {
  const { config, logger, metrics } = options
  const settings = config.validity
  const router = createRouterStatusClient({
    baseUrl: options.routerStatusUrl ?? settings.routerStatusUrl,
    timeoutMs: settings.routerTimeoutMs,
    cacheSeconds: settings.routerCacheSeconds,
    negativeCacheSeconds: settings.routerNegativeCacheSeconds,
    cacheEntries: settings.routerCacheEntries,
    ...(options.routerDispatcher !== undefined ? { dispatcher: options.routerDispatcher } : {}),
    logger: logger.child({ component: 'router-status' }),
    onLookup: (outcome) => metrics.routerStatusLookups.inc({ outcome }),
  })
  const checker = createValidityChecker({
    findCard: async (kind, value) => await withDeadline(options.registry.findCard(kind, value), options.lookupDeadlineMs ?? 1000, 'card lookup'),
    router,
    timeZone: settings.timeZone,
  })
  const soap = createValiditySoapService({
    checker,
    users: config.crousSoapUsers,
    nonces: createRedisNonceStore(options.redis, options.registry.keys),
    limits: { maxBytes: settings.soapMaxBodyBytes, maxDepth: settings.soapMaxDepth },
  })
  const wsdlFor = createWsdlServer()

  // Card ids and outcomes only: the answer carries no personal data, and none is logged.
  const record = (face: 'rest' | 'soap') => (request: FastifyRequest, call: ValidityCall): void => {
    metrics.validityRequests.inc({ interface: face, outcome: call.outcome, source: call.source ?? '' })
    request.log.info({ validity: { interface: face, cardId: call.cardId, outcome: call.outcome, source: call.source } }, 'validity check')
  }

  return {
    checker,
    soap,
    router,
    async register (app, protection) {
      const rest = async (scope: FastifyInstance): Promise<void> => { await scope.register(validityRestRoutes, { checker, apiKeys: config.crousApiKeys, onCall: record('rest') }) }
      const soapRoutes = async (scope: FastifyInstance): Promise<void> => {
        await scope.register(validitySoapRoutes, {
          service: soap,
          maxBodyBytes: settings.soapMaxBodyBytes,
          wsdlFor,
          ...(settings.publicBaseUrl !== undefined ? { publicBaseUrl: settings.publicBaseUrl } : {}),
          publicHosts: settings.publicHosts,
          onCall: record('soap'),
          ...(protection !== undefined
            ? {
                guardFor: (request: FastifyRequest) => ({
                  admit: async (user: string) => await protection.admit(request, 'validity-soap', `user:${user}`),
                  failed: () => { protection.failedAuthentication(request) },
                }),
              }
            : {}),
        })
      }
      if (protection === undefined) {
        await rest(app)
        await soapRoutes(app)
        return
      }
      // By API key (a fingerprint, never the key), once the route's own hook accepted it.
      await protection.guard(app, 'validity-rest', rest, { identify: (request) => typeof request.headers['x-api-key'] === 'string' ? `key:${clientFingerprint(request.headers['x-api-key'])}` : undefined })
      // By WS-Security user, known only once the service read the UsernameToken (it calls admit itself).
      await protection.guard(app, 'validity-soap', soapRoutes, {
        manual: true,
        render: (request, reply, refusal) => {
          const answer = faultResponse(soapVersionOfContentType(request.headers['content-type']) ?? '1.1', { side: refusal.status === 429 ? 'client' : 'server', message: refusal.detail, httpStatus: refusal.status })
          metrics.validityRequests.inc({ interface: 'soap', outcome: refusal.code, source: '' })
          return reply.code(answer.status).type(answer.contentType).header('retry-after', String(refusal.retryAfterSeconds)).send(answer.body)
        },
      })
    },
    async close () {
      await router.close()
    },
  }
}
