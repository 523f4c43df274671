import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface GatewayMetrics {
  registry: Registry
  httpRequests: Histogram<'method' | 'route' | 'status'>
  intakeEvents: Counter<'result'>
  /** Events older than the state held: kept in the history, answered applied: false. */
  lateEvents: Counter
  jobOutcomes: Counter<'downstream' | 'lane' | 'outcome' | 'code'>
  oppositionLag: Histogram<'downstream'>
  /** Set by collectors wired in by whoever owns the queues and the registry. */
  queueDepth: Gauge<'queue' | 'state'>
  attention: Gauge<'downstream'>
  dirtyCards: Gauge<'downstream'>
  /** Age of the oldest opposition not yet acknowledged by the downstream (as of the last sweep, aged since). */
  oldestPendingOpposition: Gauge<'downstream'>
  /** Seconds since the last sweep of a downstream: a dead sweeper shows. */
  sweepAge: Gauge<'downstream'>
  breakerOpen: Gauge<'downstream'>
  breakerFailures: Gauge<'downstream'>
  /** Seconds the downstream has given only doubtful answers (a refused credential, a 200 that is not the answer). */
  breakerDoubtful: Gauge<'downstream'>
  queuePaused: Gauge<'queue'>
  /** 1 when a global rate limit or concurrency is set on a queue (from the dashboard or the BullMQ API). */
  queueRateLimited: Gauge<'queue'>
  /** 1 when the last /metrics could not read Redis: the gauges read from it are then absent, not stale. */
  metricsRedisFailed: Gauge
  /** The gauges read from Redis at scrape time, cleared together when Redis cannot be read. */
  redisGauges: ReadonlyArray<Gauge<string>>
  validityRequests: Counter<'interface' | 'outcome' | 'source'>
  routerStatusLookups: Counter<'outcome'>
}

/**
 * Fault codes as a metric label: those the gateway knows (its own, Izly's documented ones, the router's it
 * acts on, HTTP statuses, network and timeout codes); anything a downstream invents is OTHER, so that the
 * label set stays bounded whatever the downstream answers.
 */
const KNOWN_CODES = new Set([
  '', '-8', '-9', '-11', '-31', '-41', '-42', '-117',
  'ER-0002', 'ER-0019', 'SE-0000',
  'TIMEOUT', 'INVALID_RESPONSE', 'RESPONSE_TOO_LARGE', 'UNEXPECTED', 'LEASE_LOST', 'HOLDER_BUSY', 'ESC_INVALID_DATA', 'NETWORK_ERROR',
  'SOAP_Client', 'SOAP_Server', 'SOAP_FailedAuthentication', 'SOAP_InvalidSecurity', 'SOAP_InvalidSecurityToken', 'SOAP_MustUnderstand', 'SOAP_VersionMismatch',
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
])

export function metricCode (code: string): string {
  if (KNOWN_CODES.has(code)) return code
  // HTTP statuses are a bounded set of their own; Izly reports a status without a code as HTTP_<status>.
  if (/^HTTP_[1-5][0-9]{2}$/.test(code)) return code
  // The API CROUS token server's failures (TOKEN_HTTP_401, TOKEN_TIMEOUT…): the same bounded set, prefixed.
  if (code.startsWith('TOKEN_')) {
    const reason = code.slice('TOKEN_'.length)
    return reason !== '' && !reason.startsWith('TOKEN_') && metricCode(reason) === reason ? code : 'TOKEN_OTHER'
  }
  return 'OTHER'
}

/** A registry per gateway instance (not prom-client's global one), so tests can build several apps. */
export function createMetrics (): GatewayMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const metrics: Omit<GatewayMetrics, 'redisGauges'> = {
    registry,
    httpRequests: new Histogram({
      name: 'leocarte_http_request_duration_seconds',
      help: 'HTTP requests served, by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    intakeEvents: new Counter({
      name: 'leocarte_intake_events_total',
      help: 'SGC card events received, by result (accepted, duplicate, conflict, invalid, unavailable)',
      labelNames: ['result'],
      registers: [registry],
    }),
    lateEvents: new Counter({
      name: 'leocarte_late_events_total',
      help: 'SGC events older than the card state already held (by occurredAt; at the same instant, an opposed state wins): kept in the timeline, not applied',
      registers: [registry],
    }),
    jobOutcomes: new Counter({
      name: 'leocarte_sync_outcomes_total',
      help: 'Sync runs by downstream, lane and outcome; code is the downstream fault code when one was met',
      labelNames: ['downstream', 'lane', 'outcome', 'code'],
      registers: [registry],
    }),
    oppositionLag: new Histogram({
      name: 'leocarte_opposition_lag_seconds',
      help: 'From the SGC event (occurredAt) to the downstream acknowledging the opposition',
      labelNames: ['downstream'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'leocarte_queue_jobs',
      help: 'Jobs per queue and state',
      labelNames: ['queue', 'state'],
      registers: [registry],
    }),
    attention: new Gauge({
      name: 'leocarte_needs_attention',
      help: 'Work stopped by a permanent fault, waiting for an operator',
      labelNames: ['downstream'],
      registers: [registry],
    }),
    dirtyCards: new Gauge({
      name: 'leocarte_cards_out_of_sync',
      help: 'Cards whose desired state is ahead of what the downstream confirmed',
      labelNames: ['downstream'],
      registers: [registry],
    }),
    oldestPendingOpposition: new Gauge({
      name: 'leocarte_oldest_pending_opposition_seconds',
      help: 'Age (since the gateway accepted it) of the oldest opposition the downstream has not acknowledged yet, needs attention included; 0 when none is pending. From the last sweep, aged since',
      labelNames: ['downstream'],
      registers: [registry],
    }),
    sweepAge: new Gauge({
      name: 'leocarte_sweep_age_seconds',
      help: 'Seconds since the last sweep pass over the downstream (SWEEP_INTERVAL_MS apart when the sweeper runs)',
      labelNames: ['downstream'],
      registers: [registry],
    }),
    breakerOpen: new Gauge({
      name: 'leocarte_breaker_open',
      help: '1 while the downstream breaker is open: its jobs wait, one call at a time probes it',
      labelNames: ['downstream'],
      registers: [registry],
    }),
    breakerFailures: new Gauge({
      name: 'leocarte_breaker_failures',
      help: 'Failures of the downstream since it last answered (BREAKER_FAILURES open the breaker)',
      labelNames: ['downstream'],
      registers: [registry],
    }),
    breakerDoubtful: new Gauge({
      name: 'leocarte_breaker_doubtful_seconds',
      help: 'Seconds the downstream has answered only doubtful faults (a refused credential, a 200 that is not the answer); past DOUBTFUL_FAULT_MAX_MS they need attention',
      labelNames: ['downstream'],
      registers: [registry],
    }),
    queuePaused: new Gauge({
      name: 'leocarte_queue_paused',
      help: '1 when the queue is paused: its cards are held back until it is resumed',
      labelNames: ['queue'],
      registers: [registry],
    }),
    queueRateLimited: new Gauge({
      name: 'leocarte_queue_rate_limited',
      help: '1 when a global rate limit or global concurrency is set on the queue, holding its cards back',
      labelNames: ['queue'],
      registers: [registry],
    }),
    metricsRedisFailed: new Gauge({
      name: 'leocarte_metrics_redis_failed',
      help: '1 when this scrape could not read Redis: the queue, attention, out-of-sync, breaker and sweep gauges are then left out rather than stale',
      registers: [registry],
    }),
    validityRequests: new Counter({
      name: 'leocarte_validity_requests_total',
      help: 'CROUS validity requests by interface (rest, soap), outcome (valid, not-valid, unknown-card, router-unavailable, unauthorized...) and source',
      labelNames: ['interface', 'outcome', 'source'],
      registers: [registry],
    }),
    routerStatusLookups: new Counter({
      name: 'leocarte_router_status_lookups_total',
      help: 'Foreign-card lookups at the ESC Router: cache-hit, known, unknown, unavailable',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  }
  const redisGauges = [metrics.queueDepth, metrics.attention, metrics.dirtyCards, metrics.oldestPendingOpposition, metrics.sweepAge,
    metrics.breakerOpen, metrics.breakerFailures, metrics.breakerDoubtful, metrics.queuePaused, metrics.queueRateLimited] as Array<Gauge<string>>
  return { ...metrics, redisGauges }
}
