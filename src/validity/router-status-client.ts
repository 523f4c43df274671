import CircuitBreaker from 'opossum'
import type { Logger } from 'pino'
import { type Dispatcher, Pool } from 'undici'
import { boundedRequest, DeadlineExceededError, ResponseTooLargeError } from '../downstream/bounded-request.ts'
import { TtlCache } from './ttl-cache.ts'

/** The router's public CardStatusView (esc-router.md §3.3), the fields a verifier uses. */
export interface RouterCardStatus {
  /** ACTIVE, INACTIVE or EXPIRED as documented; any other value is kept as sent and never counts as valid. */
  status: string
  expiresAt?: string
  /** The issuer's PIC. */
  issuerIdentifier?: string
  issuerName?: string
}

export type RouterStatusAnswer =
  | { kind: 'known', card: RouterCardStatus }
  | { kind: 'unknown' }
  /** The router could not be asked, or did not answer usably: the caller must say so, not guess. */
  | { kind: 'unavailable', retryAfterSeconds: number, detail: string }

export interface RouterStatusLookup {
  lookup (escn: string): Promise<RouterStatusAnswer>
  close (): Promise<void>
}

/** How each lookup ended, for metrics: served from the cache, asked, or not answered. */
export type RouterLookupOutcome = 'cache-hit' | 'known' | 'unknown' | 'unavailable'

export interface RouterStatusClientOptions {
  /** REST base of the router (…/esc-rest); unset means every lookup is `unavailable`. */
  baseUrl: string | undefined
  /** Whole call: connect, headers and body, milliseconds. */
  timeoutMs: number
  /** How long an answer about a known card is reused, seconds. */
  cacheSeconds: number
  /** How long "unknown to the router" is reused, seconds. */
  negativeCacheSeconds: number
  /** Most answers kept. */
  cacheEntries: number
  /** Where requests go; a Pool on `baseUrl` by default (tests and benchmarks inject theirs). */
  dispatcher?: Dispatcher
  /** After the breaker opens, how long before one trial call is let through, milliseconds. @defaultValue 10000 */
  breakerResetMs?: number
  logger?: Logger
  onLookup?: (outcome: RouterLookupOutcome) => void
  now?: () => number
}

/** Largest status body read; a CardStatusView is a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024
/** Suggested wait after a single failed call (the breaker's reset time applies once it is open). */
const RETRY_AFTER_SECONDS = 5

class RouterStatusError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'RouterStatusError'
  }
}

/**
 * Asks the ESC Router's public card status (no token) about ESCNs the registry does not hold, behind a
 * bounded cache of answers (known and unknown cards alike), one call at a time per ESCN, and a circuit
 * breaker so that a router that is down costs a failing fast, not a timeout per query.
 */
export function createRouterStatusClient (options: RouterStatusClientOptions): RouterStatusLookup {
  const { baseUrl, timeoutMs, logger } = options
  const onLookup = options.onLookup ?? (() => {})
  const breakerResetMs = options.breakerResetMs ?? 10_000
  if (baseUrl === undefined) {
    return {
      async lookup () {
        onLookup('unavailable')
        return { kind: 'unavailable', retryAfterSeconds: 3600, detail: 'no ESC Router is configured (ESC_ROUTER_STATUS_URL or ESC_ROUTER_URL)' }
      },
      async close () {},
    }
  }

  const base = new URL(baseUrl)
  const basePath = base.pathname.replace(/\/+$/, '')
  const ownsDispatcher = options.dispatcher === undefined
  const dispatcher = options.dispatcher ?? new Pool(base.origin, {
    connections: 16,
    connectTimeout: timeoutMs,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  })
  const cache = new TtlCache<RouterStatusAnswer>(options.cacheEntries, options.now)
  const inFlight = new Map<string, Promise<RouterStatusAnswer>>()

  async function askRouter (escn: string): Promise<RouterStatusAnswer> {
    // One deadline for the whole call, whichever phase is slow; a capped body; no redirect followed.
    const response = await boundedRequest(dispatcher, {
      origin: base.origin,
      path: `${basePath}/api/v2/cards/${encodeURIComponent(escn)}/status`,
      method: 'GET',
      headers: { accept: 'application/json' },
    }, { maxBytes: MAX_BODY_BYTES, deadlineMs: timeoutMs })
    if (response.statusCode === 404) return { kind: 'unknown' }
    if (response.statusCode !== 200) throw new RouterStatusError(`the router answered HTTP ${response.statusCode}`)
    return { kind: 'known', card: parseCardStatus(response.body.toString('utf8')) }
  }

  // Only thrown errors count against the router: a 404 is an answer.
  const breaker = new CircuitBreaker<[string], RouterStatusAnswer>(askRouter, {
    timeout: false,
    resetTimeout: breakerResetMs,
    errorThresholdPercentage: 50,
    volumeThreshold: 5,
    rollingCountTimeout: 10_000,
  })
  breaker.on('open', () => logger?.warn({ resetMs: breakerResetMs }, 'ESC Router status: circuit opened, failing fast'))
  breaker.on('halfOpen', () => logger?.info('ESC Router status: circuit half-open, trying one call'))
  breaker.on('close', () => logger?.info('ESC Router status: circuit closed, router answering again'))

  async function ask (escn: string): Promise<RouterStatusAnswer> {
    try {
      const answer = await breaker.fire(escn)
      cache.set(escn, answer, (answer.kind === 'known' ? options.cacheSeconds : options.negativeCacheSeconds) * 1000)
      onLookup(answer.kind)
      return answer
    } catch (error) {
      const detail = describeFailure(error, timeoutMs)
      logger?.warn({ escn, reason: detail }, 'ESC Router status: no answer')
      onLookup('unavailable')
      const open = (error as { code?: unknown }).code === 'EOPENBREAKER'
      return { kind: 'unavailable', retryAfterSeconds: open ? Math.ceil(breakerResetMs / 1000) : RETRY_AFTER_SECONDS, detail }
    }
  }

  return {
    async lookup (escn) {
      const cached = cache.get(escn)
      if (cached !== undefined) {
        onLookup('cache-hit')
        return cached
      }
      // Concurrent queries about one card share one call.
      let pending = inFlight.get(escn)
      if (pending === undefined) {
        pending = ask(escn).finally(() => inFlight.delete(escn))
        inFlight.set(escn, pending)
      }
      return await pending
    },
    async close () {
      breaker.shutdown()
      cache.clear()
      if (ownsDispatcher) await dispatcher.close()
    },
  }
}

/** Lenient on extra fields (the router's schema drifts, esc-router.md §5), strict on `status`. */
function parseCardStatus (text: string): RouterCardStatus {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new RouterStatusError('the router answered 200 with a body that is not JSON', { cause: error })
  }
  const view = json as Record<string, unknown> | null
  if (typeof view !== 'object' || view === null || typeof view.status !== 'string' || view.status === '') {
    throw new RouterStatusError('the router answered 200 without a card status')
  }
  const card: RouterCardStatus = { status: view.status.toUpperCase() }
  if (typeof view.expiresAt === 'string') card.expiresAt = view.expiresAt
  // The captured document's example gives the PIC as a number.
  if (typeof view.issuerIdentifier === 'string' || typeof view.issuerIdentifier === 'number') card.issuerIdentifier = String(view.issuerIdentifier)
  if (typeof view.issuerName === 'string') card.issuerName = view.issuerName
  return card
}

function describeFailure (error: unknown, timeoutMs: number): string {
  const { code, name, message } = error as { code?: unknown, name?: unknown, message?: unknown }
  if (code === 'EOPENBREAKER') return 'the ESC Router failed repeatedly; calls are suspended for a while'
  if (error instanceof ResponseTooLargeError) return `the ESC Router's answer is over ${MAX_BODY_BYTES} bytes`
  if (error instanceof DeadlineExceededError || name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return `the ESC Router did not answer within ${timeoutMs} ms`
  }
  if (error instanceof RouterStatusError) return message as string
  return `the ESC Router could not be reached (${typeof code === 'string' ? code : 'network error'})`
}
