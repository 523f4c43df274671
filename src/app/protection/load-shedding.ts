import fastifyUnderPressure from '@fastify/under-pressure'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Counter, Gauge, type Registry } from 'prom-client'
import type { LoadSheddingConfig } from '../../config/protection-config.ts'
import { createProblem, PROBLEM_CONTENT_TYPE } from '../../intake/problem.ts'
import { faultResponse } from '../../validity/soap/soap-messages.ts'
import { soapVersionOfContentType } from '../../validity/soap/soap-service.ts'
import { VALIDITY_SOAP_PATH } from '../../validity/soap/wsdl-contract.ts'

/**
 * Never shed: liveness (a kubelet that sees it fail restarts a pod that is only busy, and the restart makes
 * the overload worse), readiness (it says whether Redis answers; failing every busy replica at once would
 * take the whole service out of the load balancer), and /metrics (an overload is when it is needed).
 */
export const NEVER_SHED: ReadonlySet<string> = new Set(['/health/live', '/health/ready', '/metrics'])

/** How often under-pressure samples the event loop and memory (its default). */
const SAMPLE_INTERVAL_MS = 1000

export interface LoadSheddingOptions {
  config: LoadSheddingConfig
  registry: Registry
  /**
   * An extra check, true when the process can serve (under-pressure's healthCheck): run once at start and
   * then every `checkIntervalMs`. For tests and drills, which need pressure on demand.
   */
  check?: () => Promise<boolean>
  checkIntervalMs?: number
}

/**
 * @fastify/under-pressure on the whole app: past the configured event-loop delay, heap or RSS, every request
 * but NEVER_SHED is answered 503 with Retry-After at once (before any Redis call), in the interface's own
 * format (a SOAP fault on the SOAP endpoint, problem+json elsewhere). Reports the event-loop delay it
 * measures as leocarte_event_loop_delay_seconds and what it shed as leocarte_load_shed_total.
 */
export async function loadShedding (app: FastifyInstance, options: LoadSheddingOptions): Promise<void> {
  const { config, registry } = options
  const shed = existing<Counter<'reason'>>(registry, 'leocarte_load_shed_total') ?? new Counter({
    name: 'leocarte_load_shed_total',
    help: 'Requests answered 503 because the process was under pressure, by reason (eventLoopDelay, heapUsedBytes, rssBytes, healthCheck)',
    labelNames: ['reason'],
    registers: [registry],
  })
  // The first samples after start measure module loading and schema compiling, not load: an event-loop
  // delay is believed from the second full sample after the app is ready.
  let delayTrustedFrom = Number.POSITIVE_INFINITY
  app.addHook('onReady', async () => { delayTrustedFrom = Date.now() + 2 * SAMPLE_INTERVAL_MS })
  await app.register(fastifyUnderPressure, {
    sampleInterval: SAMPLE_INTERVAL_MS,
    maxEventLoopDelay: config.maxEventLoopDelayMs,
    maxHeapUsedBytes: config.maxHeapUsedBytes,
    maxRssBytes: config.maxRssBytes,
    retryAfter: config.retryAfterSeconds,
    ...(options.check !== undefined ? { healthCheck: options.check, healthCheckInterval: options.checkIntervalMs ?? 1000 } : {}),
    // What it returns is sent (the plugin's types say void; its code sends any value other than undefined).
    pressureHandler: ((request: FastifyRequest, reply: FastifyReply, type: string) => {
      if (NEVER_SHED.has(request.routeOptions.url ?? '')) return undefined
      if (type === 'eventLoopDelay' && Date.now() < delayTrustedFrom) return undefined
      shed.inc({ reason: type })
      reply.code(503).header('retry-after', String(config.retryAfterSeconds))
      const detail = `the gateway is overloaded (${type}); retry in ${config.retryAfterSeconds} s`
      if (request.routeOptions.url === VALIDITY_SOAP_PATH && request.method === 'POST') {
        const answer = faultResponse(soapVersionOfContentType(request.headers['content-type']) ?? '1.1', { side: 'server', message: detail, httpStatus: 503 })
        reply.type(answer.contentType)
        return answer.body
      }
      reply.type(PROBLEM_CONTENT_TYPE)
      return createProblem({ status: 503, code: 'overloaded', detail })
    }) as unknown as (request: FastifyRequest, reply: FastifyReply, type: string) => void,
  })
  const delay = existing<Gauge>(registry, 'leocarte_event_loop_delay_seconds')
  if (delay === undefined) {
    // Read at scrape time from the plugin's own sample (the mean over its last second), the figure it sheds on.
    const gauge = new Gauge({
      name: 'leocarte_event_loop_delay_seconds',
      help: 'Mean event-loop delay over the last sample (the figure load shedding compares with SHED_EVENT_LOOP_DELAY_MS)',
      registers: [registry],
      // No sample in the last interval (under-pressure then says Infinity): the loop was blocked for all of it.
      collect () {
        const { eventLoopDelay } = app.memoryUsage()
        gauge.set(Number.isFinite(eventLoopDelay) ? eventLoopDelay / 1000 : SAMPLE_INTERVAL_MS / 1000)
      },
    })
  }
}

function existing<T> (registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined
}
