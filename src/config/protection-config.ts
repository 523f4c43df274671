import { getHeapStatistics } from 'node:v8'
import { ConfigError, integer, parseSwitch, type Reader } from './load.ts'

/** Requests allowed per window, by limit class (PROTECTED_INTERFACES in src/app/protection/rate-limits.ts). */
export interface RateLimitConfig {
  /** RATE_LIMITS: on (default) or off (every limit below, failed authentications included). */
  enabled: boolean
  /** RATE_LIMIT_WINDOW_SECONDS: the window every limit counts over, as milliseconds. Default 60 s. */
  windowMs: number
  perClient: {
    /** RATE_LIMIT_SGC: per window for the SGC (intake, and the ESUP-SGC façades, by client). Default 6000. */
    sgc: number
    /** RATE_LIMIT_VALIDITY: per window per CROUS API key or SOAP user. Default 12000 (200/s). */
    validity: number
    /** RATE_LIMIT_ADMIN: per window per admin token (API, console and queue dashboard together). Default 600. */
    admin: number
  }
  /** RATE_LIMIT_FAILED_AUTH: failed authentications per window per caller address before it is refused. Default 20. */
  failedAuthentications: number
  /** RATE_LIMIT_REDIS_TIMEOUT_MS: the longest a limit check waits for Redis before the interface's fallback applies. Default 250. */
  redisTimeoutMs: number
}

/** When the process sheds load (503 with Retry-After) rather than fall over (@fastify/under-pressure). */
export interface LoadSheddingConfig {
  /** SHED_EVENT_LOOP_DELAY_MS: mean event-loop delay over a sample second; 0 turns the check off. Default 1000 (every request then waits a second or more). */
  maxEventLoopDelayMs: number
  /** SHED_HEAP_USED_BYTES: V8 heap in use; 0 off. Default 90 % of the heap limit (node --max-old-space-size). */
  maxHeapUsedBytes: number
  /** SHED_RSS_BYTES: resident memory; 0 off (default: set it under the container's memory limit). */
  maxRssBytes: number
  /** SHED_RETRY_AFTER_SECONDS: the Retry-After of a shed request. Default 5. */
  retryAfterSeconds: number
}

/** Where /metrics and /docs are served, and behind what. */
export interface OpsEndpointsConfig {
  /** METRICS_PORT: a second listener (on HOST) serving /metrics alone; the main port then serves none. Unset: the main port. */
  metricsPort: number | undefined
  /** METRICS_TOKEN: a bearer token /metrics requires, wherever served. Unset: open. */
  metricsToken: string | undefined
  /** DOCS_ENABLED: serve /docs and /openapi.json. Default on. */
  docsEnabled: boolean
  /** DOCS_TOKEN: a bearer token (or HTTP Basic password) /docs and /openapi.json require. Unset: open. */
  docsToken: string | undefined
  /**
   * TRUST_PROXY: `off` (default), a number of proxy hops, or comma-separated proxy addresses/CIDRs whose
   * X-Forwarded-For is believed; the failed-authentication limit counts by the address it yields.
   */
  trustProxy: boolean | number | string[]
}

export interface ProtectionConfig {
  rateLimit: RateLimitConfig
  shedding: LoadSheddingConfig
  ops: OpsEndpointsConfig
}

export function loadProtectionConfig (read: Reader, port: number): ProtectionConfig {
  const metricsPort = read('METRICS_PORT') === undefined ? undefined : integer(read, 'METRICS_PORT', 0, 0, 65535)
  if (metricsPort !== undefined && metricsPort !== 0 && metricsPort === port) throw new ConfigError('METRICS_PORT', `must differ from PORT (${port}); leave it unset to serve /metrics on PORT`)
  return {
    rateLimit: {
      enabled: parseSwitch(read, 'RATE_LIMITS', true),
      windowMs: integer(read, 'RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400) * 1000,
      perClient: {
        sgc: integer(read, 'RATE_LIMIT_SGC', 6000, 1, 100_000_000),
        validity: integer(read, 'RATE_LIMIT_VALIDITY', 12_000, 1, 100_000_000),
        admin: integer(read, 'RATE_LIMIT_ADMIN', 600, 1, 100_000_000),
      },
      failedAuthentications: integer(read, 'RATE_LIMIT_FAILED_AUTH', 20, 1, 100_000_000),
      redisTimeoutMs: integer(read, 'RATE_LIMIT_REDIS_TIMEOUT_MS', 250, 10, 60_000),
    },
    shedding: {
      maxEventLoopDelayMs: integer(read, 'SHED_EVENT_LOOP_DELAY_MS', 1000, 0, 600_000),
      maxHeapUsedBytes: integer(read, 'SHED_HEAP_USED_BYTES', Math.floor(getHeapStatistics().heap_size_limit * 0.9), 0, Number.MAX_SAFE_INTEGER),
      maxRssBytes: integer(read, 'SHED_RSS_BYTES', 0, 0, Number.MAX_SAFE_INTEGER),
      retryAfterSeconds: integer(read, 'SHED_RETRY_AFTER_SECONDS', 5, 1, 3600),
    },
    ops: {
      metricsPort,
      metricsToken: token(read, 'METRICS_TOKEN'),
      docsEnabled: parseSwitch(read, 'DOCS_ENABLED', true),
      docsToken: token(read, 'DOCS_TOKEN'),
      trustProxy: trustProxy(read),
    },
  }
}

function token (read: Reader, name: string): string | undefined {
  const raw = read(name)
  if (raw === undefined) return undefined
  if (raw.length < 16 || /\s/.test(raw)) throw new ConfigError(name, 'a token has at least 16 characters and no spaces')
  return raw
}

function trustProxy (read: Reader): boolean | number | string[] {
  const raw = read('TRUST_PROXY')
  if (raw === undefined || ['off', 'false', '0', 'no'].includes(raw.toLowerCase())) return false
  if (/^\d+$/.test(raw)) return integer(read, 'TRUST_PROXY', 0, 0, 100)
  // `on` would believe any X-Forwarded-For: whoever sends one would choose the address counted.
  if (['on', 'true', 'yes'].includes(raw.toLowerCase())) throw new ConfigError('TRUST_PROXY', 'give the number of proxy hops (e.g. 1 behind one ingress) or the proxies\' addresses, not on')
  const entries = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')
  const bad = entries.find((entry) => !/^[0-9A-Fa-f:.]+(?:\/\d{1,3})?$/.test(entry))
  if (bad !== undefined) throw new ConfigError('TRUST_PROXY', `expected off, a hop count, or addresses/CIDRs separated by commas, got "${bad}"`)
  return entries
}
