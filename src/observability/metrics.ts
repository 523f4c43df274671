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
  validityRequests: Counter<'interface' | 'outcome' | 'source'>
  routerStatusLookups: Counter<'outcome'>
}

/** A registry per gateway instance (not prom-client's global one), so tests can build several apps. */
export function createMetrics (): GatewayMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  return {
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
}
