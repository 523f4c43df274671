import type { Dispatcher } from 'undici'
import { parseRetryAfter } from '../retry-after.ts'
import { boundedRequest, deadlineSignal, headerValue } from './rest-http.ts'

/**
 * The API CROUS access token (OAuth2 client credentials, izly-crous.md §2.2), held for the whole
 * process: at most one token request in flight whatever the concurrency (every caller waits for the
 * same one), renewed ahead of `expires_in` so that no call meets an expired token, and dropped when a
 * call says it was refused (401/403) so that the next one fetches a fresh token. Earlier tokens are
 * never revoked: they run out on their own.
 */

export interface TokenSourceOptions {
  dispatcher: Dispatcher
  /** The token endpoint, `grant_type=client_credentials` included. */
  url: URL
  clientId: string
  clientSecret: string
  userAgent: string
  /** Longest token request, milliseconds (the caller's own deadline may be shorter). */
  timeoutMs: number
  maxBodyBytes: number
  now: () => number
}

/** Why no token could be had: `reason` is HTTP_<status>, a network code, TIMEOUT or INVALID_RESPONSE. */
export class TokenError extends Error {
  readonly reason: string
  readonly httpStatus: number | undefined
  readonly retryAfterMs: number | undefined

  constructor (reason: string, extra: { httpStatus?: number, retryAfterMs?: number } = {}) {
    super(`API CROUS token request failed: ${reason}`)
    this.name = 'TokenError'
    this.reason = reason
    this.httpStatus = extra.httpStatus
    this.retryAfterMs = extra.retryAfterMs
  }
}

interface HeldToken {
  value: string
  /** From then on a call starts a renewal in the background and still uses this token. */
  renewAtMs: number
  /** From then on the token is not used any more: calls wait for a new one. */
  expiresAtMs: number
  /** What the server said, seconds; undefined when it did not say. */
  lifetimeSeconds: number | undefined
}

/** Renew this long before the token runs out: a fifth of its life, at most a minute. */
const RENEW_AHEAD_MAX_MS = 60_000
/** Stop using a token this long before it runs out (latency, clock skew): a twentieth of its life, at most 5 s. */
const SAFETY_MAX_MS = 5_000

export class TokenSource {
  readonly #options: TokenSourceOptions
  #held: HeldToken | undefined
  #renewal: Promise<HeldToken> | undefined
  /** Token requests sent so far (for the start-up check and the tests). */
  requests = 0

  constructor (options: TokenSourceOptions) {
    this.#options = options
  }

  /** A token to send now; waits (within `signal`) only when none is held or the held one ran out. */
  async get (signal: AbortSignal): Promise<string> {
    const held = this.#held
    const now = this.#options.now()
    if (held !== undefined && now < held.expiresAtMs) {
      if (now >= held.renewAtMs) this.#renewInBackground()
      return held.value
    }
    return (await waitWithin(this.#renew(), signal)).value
  }

  /** A fresh token now, whatever is held (the start-up check); its lifetime in seconds when the server gave one. */
  async fetchNow (signal: AbortSignal): Promise<{ lifetimeSeconds: number | undefined }> {
    this.#held = undefined
    const held = await waitWithin(this.#renew(), signal)
    return { lifetimeSeconds: held.lifetimeSeconds }
  }

  /** A call was refused with this token (401/403): the next get() fetches another, once for all callers. */
  invalidate (value: string): void {
    if (this.#held?.value === value) this.#held = undefined
  }

  #renew (): Promise<HeldToken> {
    if (this.#renewal === undefined) {
      const renewal = this.#request().then((held) => {
        this.#held = held
        return held
      }).finally(() => { this.#renewal = undefined })
      // Handled here once: a caller whose deadline passed no longer waits for it, a background renewal
      // has no caller, and a failure must not become an unhandled rejection. Waiters still see it.
      renewal.catch(() => {})
      this.#renewal = renewal
    }
    return this.#renewal
  }

  #renewInBackground (): void {
    // A failed early renewal leaves the held token in use; the next call past renewAtMs tries again.
    void this.#renew()
  }

  async #request (): Promise<HeldToken> {
    const { dispatcher, url, clientId, clientSecret, userAgent, timeoutMs, maxBodyBytes, now } = this.#options
    this.requests += 1
    const startedAt = now()
    const outcome = await boundedRequest(dispatcher, {
      origin: url.origin,
      path: url.pathname + url.search,
      method: 'POST',
      // As ESUP-SGC sends it: HTTP Basic of the raw id and secret, no body, no Content-Type.
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`, 'utf8').toString('base64')}`,
        accept: 'application/json',
        'user-agent': userAgent,
      },
    }, { signal: deadlineSignal(timeoutMs), maxBodyBytes })
    if (!outcome.ok) throw new TokenError(outcome.reason === 'too-large' ? 'INVALID_RESPONSE' : outcome.code)
    const { status, headers, text } = outcome.answer
    if (status < 200 || status >= 300) {
      const retryAfterMs = parseRetryAfter(headerValue(headers, 'retry-after'))
      throw new TokenError(`HTTP_${status}`, { httpStatus: status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) })
    }
    const body = parseObject(text)
    const value = body?.access_token
    if (typeof value !== 'string' || value.trim() === '' || /\s/.test(value)) throw new TokenError('INVALID_RESPONSE', { httpStatus: status })
    const lifetimeSeconds = readLifetime(body?.expires_in)
    if (lifetimeSeconds === undefined) {
      // No lifetime given: kept until a call is refused with it (then renewed once and retried, as ESUP-SGC does).
      return { value, renewAtMs: Number.POSITIVE_INFINITY, expiresAtMs: Number.POSITIVE_INFINITY, lifetimeSeconds }
    }
    const lifetimeMs = lifetimeSeconds * 1000
    return {
      value,
      renewAtMs: startedAt + lifetimeMs - Math.min(RENEW_AHEAD_MAX_MS, lifetimeMs / 5),
      expiresAtMs: startedAt + lifetimeMs - Math.min(SAFETY_MAX_MS, lifetimeMs / 20),
      lifetimeSeconds,
    }
  }
}

function readLifetime (value: unknown): number | undefined {
  const seconds = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined
}

function parseObject (text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}

/** `promise`, or a TokenError TIMEOUT when `signal` fires first (the promise itself goes on for the others). */
async function waitWithin<T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw new TokenError('TIMEOUT')
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => { reject(new TokenError('TIMEOUT')) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
  }
}
