// Loaded only when tracing is on (tracing.ts imports this module lazily): with OTEL_TRACES_EXPORTER unset
// or `none`, no OpenTelemetry SDK module is ever loaded.
import { context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, ConsoleSpanExporter, ParentBasedSampler, SamplingDecision, type Sampler, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { BullMQOtel } from 'bullmq-otel'
import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from 'fastify'
import type { TracingConfig } from '../config/config.ts'
import { type SpanAttributes, type SpanHandle, type SpanKindName, tracedPort, type Tracing } from './tracing.ts'

const KINDS: Record<SpanKindName, SpanKind> = { server: SpanKind.SERVER, client: SpanKind.CLIENT, internal: SpanKind.INTERNAL }

/** Health checks and scrapes come every few seconds and say nothing about a card: no trace of their own. */
const UNTRACED_ROUTES = /^\/(health\/|metrics$)/

/**
 * A trace starts at an HTTP request (an SGC event) or at a job put on a queue outside one (the sweep's
 * wake-ups). BullMQ's own housekeeping (fetching the next job, the stalled-job check, closing) would
 * otherwise start a trace every few seconds per worker: those roots are dropped. Children follow their parent.
 */
const ROOTS: Sampler = {
  shouldSample: (_context, _traceId, _name, kind) => ({
    decision: kind === SpanKind.SERVER || kind === SpanKind.PRODUCER ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD,
  }),
  toString: () => 'LeocarteRoots',
}

/**
 * The OpenTelemetry SDK, registered for the process (BullMQ's telemetry goes through the global API):
 * one tracing per process. `exporter` (tests: an in-memory one) replaces the configured exporter.
 */
export async function startOtelTracing (config: TracingConfig, options: { exporter?: SpanExporter } = {}): Promise<Tracing> {
  let processor: SpanProcessor
  if (options.exporter !== undefined) processor = new SimpleSpanProcessor(options.exporter)
  else if (config.exporter === 'console') processor = new SimpleSpanProcessor(new ConsoleSpanExporter())
  // OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT… are read by the exporter itself, as everywhere.
  else processor = new BatchSpanProcessor(new OTLPTraceExporter())
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    sampler: new ParentBasedSampler({ root: ROOTS }),
    spanProcessors: [processor],
  })
  // The AsyncLocalStorage context manager and the W3C trace-context propagator, as the global ones.
  provider.register()
  const tracer = provider.getTracer('leocarte-gateway')

  const handle = (span: Span): SpanHandle => ({
    setAttributes: (attributes) => { span.setAttributes(attributes) },
    fail: (code) => {
      span.setAttribute('error.type', code)
      span.setStatus({ code: SpanStatusCode.ERROR, message: code })
    },
  })

  const tracing: Tracing = {
    enabled: true,
    telemetry: new BullMQOtel({ tracerName: 'bullmq' }),
    async span<T> (name: string, kind: SpanKindName, attributes: SpanAttributes, fn: (span: SpanHandle) => Promise<T>): Promise<T> {
      return await tracer.startActiveSpan(name, { kind: KINDS[kind], attributes }, async (span) => {
        try {
          return await fn(handle(span))
        } catch (error) {
          // The error's class only: its text may quote a downstream's answer about the holder.
          if (span.isRecording()) span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' })
          throw error
        } finally {
          span.end()
        }
      })
    },
    instrument (app: FastifyInstance) {
      const spans = new WeakMap<FastifyRequest, Span>()
      app.addHook('onRequest', async (request) => {
        const route = request.routeOptions.url
        if (route === undefined || UNTRACED_ROUTES.test(route)) return
        // A caller's traceparent continues its trace; the route's template, never the URL (a query may hold an eppn).
        const parent = propagation.extract(ROOT_CONTEXT, request.headers)
        spans.set(request, tracer.startSpan(`${request.method} ${route}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route } }, parent))
      })
      app.addHook('onRoute', (route) => {
        const handler = route.handler
        route.handler = function (this: FastifyInstance, request, reply) {
          const span = spans.get(request)
          if (span === undefined) return handler.call(this, request, reply)
          return context.with(trace.setSpan(context.active(), span), () => handler.call(this, request, reply))
        } as RouteHandlerMethod
      })
      const end = (request: FastifyRequest, status: number | undefined): void => {
        const span = spans.get(request)
        if (span === undefined) return
        spans.delete(request)
        if (status !== undefined) span.setAttribute('http.response.status_code', status)
        if (status === undefined || status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
        span.end()
      }
      app.addHook('onResponse', async (request, reply) => { end(request, reply.statusCode) })
      app.addHook('onRequestAbort', async (request) => { end(request, undefined) })
    },
    port: (port, downstream) => tracedPort(port, downstream, tracing),
    async shutdown () {
      try {
        await provider.shutdown()
      } finally {
        trace.disable()
        context.disable()
        propagation.disable()
      }
    },
  }
  return tracing
}
