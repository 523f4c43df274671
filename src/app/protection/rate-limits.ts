import { createHmac } from 'node:crypto'
import { createRequire } from 'node:module'
import fastifyRateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Redis } from 'ioredis'
import { Counter, type Registry } from 'prom-client'
import type { RateLimitConfig } from '../../config/protection-config.ts'
import { REGISTRY_RETRY_AFTER_SECONDS } from '../../intake/intake-service.ts'
import { createProblem, sendProblem } from '../../intake/problem.ts'

/**
 * Every inbound interface a client authenticates on, with the limit class it counts against and what a
 * limit check does when Redis cannot answer it:
 * - open (the request goes on, unlimited): the SGC intake and façades (an event refused for want of a
 *   counter is a resend the SGC must make, or for the façades a card change ESUP-SGC rolls back; their own
 *   storage answers 503 if Redis is really gone), the validity interfaces (a CROUS till must keep its
 *   answers through a blip of the limiter; the lookup itself tells a real outage);
 * - closed (503 with Retry-After, as every Redis outage is answered): the admin API and queue dashboard, where an operator can wait a second
 *   and whose bulk actions (replay all, empty a queue) are the ones worth holding back when nothing counts.
 */
export const PROTECTED_INTERFACES = {
  intake: { limit: 'sgc', failOpen: true },
  'validity-rest': { limit: 'validity', failOpen: true },
  'validity-soap': { limit: 'validity', failOpen: true },
  admin: { limit: 'admin', failOpen: false },
  'facade-crous': { limit: 'sgc', failOpen: true },
  'facade-esc': { limit: 'sgc', failOpen: true },
} as const satisfies Record<string, { limit: keyof RateLimitConfig['perClient'], failOpen: boolean }>

export type ProtectedInterface = keyof typeof PROTECTED_INTERFACES

/** Why a request is not served: answered by the interface in its own format (problem+json, a SOAP fault). */
export interface Refusal {
  status: 429 | 503
  code: 'rate-limited' | 'too-many-failed-authentications' | 'rate-limit-unavailable'
  detail: string
  retryAfterSeconds: number
}

export type RenderRefusal = (request: FastifyRequest, reply: FastifyReply, refusal: Refusal) => FastifyReply

export interface GuardOptions {
  /**
   * The authenticated client's id, read once authentication passed (in preHandler): never a secret itself
   * (use clientFingerprint). Default: what the interface's auth hook gave `authenticated(request, id)`,
   * else the caller's address.
   */
  identify?: (request: FastifyRequest) => string | undefined
  /** The client is known only inside the handler (SOAP's WS-Security): the handler calls `admit` itself. */
  manual?: boolean
  /** Default: problem+json with Retry-After. */
  render?: RenderRefusal
}

export interface Protection {
  /**
   * Registers `routes` in a scope of `app` limited as `face`: a caller that failed authentication too often
   * is refused before anything is read (onRequest), an authenticated client beyond its limit once known
   * (preHandler), and every 401 (or `failedAuthentication`) counts against the caller's address (onSend).
   */
  guard (app: FastifyInstance, face: ProtectedInterface, routes: (scope: FastifyInstance) => Promise<void>, options?: GuardOptions): Promise<void>
  /** Tells the guard who authenticated (when no `identify` is given). */
  authenticated (request: FastifyRequest, clientId: string): void
  /** Counts this request as a failed authentication even if it is not answered 401 (a SOAP fault). */
  failedAuthentication (request: FastifyRequest): void
  /** The per-client check, for a `manual` guard: a refusal to answer, or nothing. */
  admit (request: FastifyRequest, face: ProtectedInterface, clientId: string): Promise<Refusal | undefined>
}

export interface ProtectionMetrics {
  rateLimited: Counter<'interface' | 'limit'>
  storeErrors: Counter<'interface'>
}

export interface ProtectionOptions {
  config: RateLimitConfig
  /** A fail-fast connection (no offline queue, a short command timeout): a stalled Redis is a quick error. */
  redis: Redis
  /** Redis key prefix of these counters (`<REDIS_PREFIX>:rate-limit:`). */
  namespace: string
  /** PSEUDONYM_KEY: addresses are counted under a keyed hash, never written into key names. */
  pseudonymKey: string
  metrics: ProtectionMetrics
}

/** How long an address Redis found not blocked is believed so without asking again (see `clean`). */
const CLEAN_FOR_MS = 1000
/** Most such addresses remembered (all forgotten at once past it: they are only asked again). */
const CLEAN_ADDRESSES_KEPT = 10_000

interface StoreLike {
  child: (options: unknown) => StoreLike
}
type RedisStoreConstructor = new (continueExceeding: boolean, exponentialBackoff: boolean, redis: Redis, key: string) => StoreLike

// The plugin's own Redis store (its Lua script: INCR and PEXPIRE in one step), with one change: a manual
// limiter's store is the plugin's store "child" for an unnamed route, whose keys would read
// `<namespace>undefinedundefined-…`; here every limiter shares the parent's keys, which already say which
// interface and client they count. (The path is the pinned version's; a test reads the keys it writes.)
const RedisStore = createRequire(import.meta.url)('@fastify/rate-limit/store/RedisStore.js') as RedisStoreConstructor

/** A short stable id for a credential (an API key, a token), for counters and logs: never the secret. */
export function clientFingerprint (secret: string): string {
  return createHmac('sha256', 'leocarte-client-id').update(secret).digest('hex').slice(0, 16)
}

/**
 * Rate limits on every inbound interface (@fastify/rate-limit with its Redis store, so that limits hold
 * across API replicas), by authenticated client, and on failed authentications by caller address.
 * Registers the plugin on `app` with no global limit: only guarded scopes are limited (health, metrics
 * and docs never are).
 */
export async function createProtection (app: FastifyInstance, options: ProtectionOptions): Promise<Protection> {
  const { config, metrics } = options
  const store = new RedisStore(false, false, options.redis, options.namespace)
  store.child = () => store
  const Store = function GatewayRateLimitStore () { return store } as unknown as new () => StoreLike
  await app.register(fastifyRateLimit, { global: false, store: Store as never, timeWindow: config.windowMs, skipOnError: false })

  const ipHash = (ip: string): string => createHmac('sha256', options.pseudonymKey).update('rate-limit-ip\n').update(ip).digest('hex').slice(0, 24)
  const failureKeys = new WeakMap<FastifyRequest, string>()
  const clientKeys = new WeakMap<FastifyRequest, string>()
  const clients = new WeakMap<FastifyRequest, string>()
  const failedMarks = new WeakSet<FastifyRequest>()
  const failures = app.createRateLimit({ max: config.failedAuthentications, timeWindow: config.windowMs, keyGenerator: (request) => failureKeys.get(request) ?? '' })
  const perClient = Object.fromEntries(Object.entries(config.perClient).map(([limit, max]) => [limit, app.createRateLimit({ max, timeWindow: config.windowMs, keyGenerator: (request) => clientKeys.get(request) ?? '' })])) as Record<keyof RateLimitConfig['perClient'], ReturnType<FastifyInstance['createRateLimit']>>

  const failureKeyOf = (request: FastifyRequest): string => `auth-failures:${ipHash(request.ip)}`
  /**
   * Addresses Redis said were not blocked, for CLEAN_FOR_MS: a client sending hundreds of good requests a
   * second costs one Redis call per request (its own counter), not two. A failure from the address drops
   * it at once (and is counted in Redis), so an attacker's next try is checked again; what another
   * replica counts meanwhile is seen here within CLEAN_FOR_MS.
   */
  const clean = new Map<string, number>()

  /** The store could not answer: go on (undefined) or refuse, as the interface decides. */
  function unavailable (request: FastifyRequest, face: ProtectedInterface, error: unknown): Refusal | undefined {
    metrics.storeErrors.inc({ interface: face })
    request.log.warn({ err: error instanceof Error ? error.message : String(error), interface: face }, 'rate limit: Redis did not answer')
    if (PROTECTED_INTERFACES[face].failOpen) return undefined
    return { status: 503, code: 'rate-limit-unavailable', detail: 'the rate limiter cannot reach Redis; retry shortly', retryAfterSeconds: REGISTRY_RETRY_AFTER_SECONDS }
  }

  async function checkFailures (request: FastifyRequest, face: ProtectedInterface): Promise<Refusal | undefined> {
    const key = failureKeyOf(request)
    const now = Date.now()
    if ((clean.get(key) ?? 0) > now) return undefined
    failureKeys.set(request, key)
    let state: Awaited<ReturnType<typeof failures>>
    try {
      state = await failures(request, { increment: false })
    } catch (error) {
      return unavailable(request, face, error)
    }
    // A peek: refused once the failures reached the limit (the next one would go over it).
    if (state.isAllowed || state.remaining > 0) {
      if (clean.size >= CLEAN_ADDRESSES_KEPT) clean.clear()
      clean.set(key, now + CLEAN_FOR_MS)
      return undefined
    }
    metrics.rateLimited.inc({ interface: face, limit: 'failed-authentications' })
    request.log.info({ interface: face, caller: ipHash(request.ip) }, 'rate limit: too many failed authentications from this address')
    return {
      status: 429,
      code: 'too-many-failed-authentications',
      detail: `more than ${config.failedAuthentications} failed authentications from this address within ${config.windowMs / 1000} s`,
      retryAfterSeconds: Math.max(1, state.ttlInSeconds),
    }
  }

  async function admit (request: FastifyRequest, face: ProtectedInterface, clientId: string): Promise<Refusal | undefined> {
    const limit = PROTECTED_INTERFACES[face].limit
    clientKeys.set(request, `${face}:${clientId}`)
    let state: Awaited<ReturnType<typeof failures>>
    try {
      state = await perClient[limit](request)
    } catch (error) {
      return unavailable(request, face, error)
    }
    if (state.isAllowed || !state.isExceeded) return undefined
    metrics.rateLimited.inc({ interface: face, limit: 'client' })
    request.log.info({ interface: face, client: clientId }, 'rate limit: client over its limit')
    return {
      status: 429,
      code: 'rate-limited',
      detail: `over ${state.max} requests within ${config.windowMs / 1000} s for this client`,
      retryAfterSeconds: Math.max(1, state.ttlInSeconds),
    }
  }

  async function countFailure (request: FastifyRequest, face: ProtectedInterface): Promise<void> {
    const key = failureKeyOf(request)
    clean.delete(key)
    failureKeys.set(request, key)
    try {
      await failures(request)
    } catch (error) {
      unavailable(request, face, error)
    }
  }

  return {
    async guard (parent, face, routes, guardOptions = {}) {
      const render = guardOptions.render ?? renderProblem
      await parent.register(async (scope) => {
        scope.addHook('onRequest', async (request, reply) => {
          const refusal = await checkFailures(request, face)
          if (refusal !== undefined) return render(request, reply, refusal)
        })
        if (guardOptions.manual !== true) {
          scope.addHook('preHandler', async (request, reply) => {
            const clientId = guardOptions.identify?.(request) ?? clients.get(request) ?? `address:${ipHash(request.ip)}`
            const refusal = await admit(request, face, clientId)
            if (refusal !== undefined) return render(request, reply, refusal)
          })
        }
        scope.addHook('onSend', async (request, reply, payload) => {
          if (reply.statusCode === 401 || failedMarks.has(request)) await countFailure(request, face)
          return payload
        })
        await routes(scope)
      })
    },
    authenticated (request, clientId) {
      clients.set(request, clientId)
    },
    failedAuthentication (request) {
      failedMarks.add(request)
    },
    admit,
  }
}

function renderProblem (_request: FastifyRequest, reply: FastifyReply, refusal: Refusal): FastifyReply {
  return sendProblem(reply.header('retry-after', String(refusal.retryAfterSeconds)), createProblem({ status: refusal.status, code: refusal.code, detail: refusal.detail }))
}

/** RATE_LIMITS=off: every guard registers its routes as they are, and nothing is counted. */
export function noProtection (): Protection {
  return {
    async guard (parent, _face, routes) {
      await parent.register(async (scope) => { await routes(scope) })
    },
    authenticated () {},
    failedAuthentication () {},
    async admit () { return undefined },
  }
}

/** The counters on the gateway's registry (once, however many apps share it). */
export function protectionMetrics (registry: Registry): ProtectionMetrics {
  return {
    rateLimited: registry.getSingleMetric('leocarte_rate_limited_total') as Counter<'interface' | 'limit'> | undefined ?? new Counter({
      name: 'leocarte_rate_limited_total',
      help: 'Requests refused 429 by a rate limit, by interface and limit (client, failed-authentications)',
      labelNames: ['interface', 'limit'],
      registers: [registry],
    }),
    storeErrors: registry.getSingleMetric('leocarte_rate_limit_store_errors_total') as Counter<'interface'> | undefined ?? new Counter({
      name: 'leocarte_rate_limit_store_errors_total',
      help: 'Rate limit checks Redis did not answer (the interface then goes on unlimited, or answers 503: README "Rate limits")',
      labelNames: ['interface'],
      registers: [registry],
    }),
  }
}
