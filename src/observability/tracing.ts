import type { Telemetry } from 'bullmq'
import type { FastifyInstance } from 'fastify'
import type { TracingConfig } from '../config/config.ts'
import { DownstreamError } from '../downstream/errors.ts'

/** What a span may carry: identifiers the logs carry too (eventId, cardId), states, codes; never personal data. */
export type SpanAttributes = Record<string, string | number | boolean>

export type SpanKindName = 'server' | 'client' | 'internal'

export interface SpanHandle {
  setAttributes (attributes: SpanAttributes): void
  /** Marks the span failed with a code (a fault code, an HTTP status): never an error's text, which may echo a holder. */
  fail (code: string): void
}

/**
 * The gateway's tracing, whichever way it is configured. Off (the default), every method is a pass-through
 * and no OpenTelemetry module is loaded: `createTracing` imports otel-tracing.ts (and the SDK) only when
 * OTEL_TRACES_EXPORTER asks for spans.
 */
export interface Tracing {
  readonly enabled: boolean
  /** BullMQ's telemetry (bullmq-otel), handed to the queues and workers: carries the trace from the job's add to its run. */
  readonly telemetry: Telemetry | undefined
  /** Runs fn in a span, a child of the active one. */
  span<T>(name: string, kind: SpanKindName, attributes: SpanAttributes, fn: (span: SpanHandle) => Promise<T>): Promise<T>
  /** A server span per HTTP request (not health checks, not scrapes), the request handled in its context. Before any route. */
  instrument(app: FastifyInstance): void
  /** The port with a client span around each call to the downstream. */
  port<P extends object>(port: P, downstream: string): P
  /** Exports what is pending, then stops. */
  shutdown(): Promise<void>
}

const NO_SPAN: SpanHandle = { setAttributes () {}, fail () {} }

export const NO_TRACING: Tracing = {
  enabled: false,
  telemetry: undefined,
  span: async (_name, _kind, _attributes, fn) => await fn(NO_SPAN),
  instrument () {},
  port: (port) => port,
  shutdown: async () => {},
}

export async function createTracing (config: TracingConfig): Promise<Tracing> {
  if (config.exporter === 'none') return NO_TRACING
  const { startOtelTracing } = await import('./otel-tracing.ts')
  return await startOtelTracing(config)
}

/**
 * Wraps every method of a downstream port (but close) in a client span `<downstream> <method>` carrying
 * the correlation id (the SGC eventId) of its call context and what it came to: an outcome the port
 * returns as a word ('opposed', 'not-found'…), or the fault code. Arguments and answers are never
 * recorded: they hold the holder's identifiers.
 */
export function tracedPort<P extends object> (port: P, downstream: string, tracing: Pick<Tracing, 'span'>): P {
  return new Proxy(port, {
    get (target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver)
      if (typeof value !== 'function' || property === 'close' || typeof property !== 'string') return value
      const method = value as (...args: unknown[]) => unknown
      return async (...args: unknown[]) => {
        const context = args.at(-1) as { correlationId?: unknown } | undefined
        const attributes: SpanAttributes = { 'leocarte.downstream': downstream, 'leocarte.operation': property }
        if (typeof context?.correlationId === 'string') attributes['leocarte.event_id'] = context.correlationId
        return await tracing.span(`${downstream} ${property}`, 'client', attributes, async (span) => {
          try {
            const result = await method.apply(target, args)
            if (typeof result === 'string') span.setAttributes({ 'leocarte.outcome': result })
            else if (result === null) span.setAttributes({ 'leocarte.outcome': 'not-found' })
            return result
          } catch (error) {
            span.fail(error instanceof DownstreamError ? error.code : 'UNEXPECTED')
            throw error
          }
        })
      }
    },
  })
}
