import type { Logger } from 'pino'
import type { CardEvent } from '../domain/card-event.ts'
import { type DownstreamName, laneOfState } from '../domain/downstream.ts'
import { type IntakeResult, type IntakeService, RegistryUnavailableError } from '../intake/intake-service.ts'
import type { GatewayMetrics } from '../observability/metrics.ts'
import { NO_TRACING, type Tracing } from '../observability/tracing.ts'
import type { Registry } from '../registry/registry.ts'
import { RedisDeadlineError, withDeadline } from '../registry/unavailable.ts'
import type { SyncQueues } from './sync-queues.ts'

/**
 * Intake as the HTTP adapter sees it: the atomic registry write, then a wake-up of each downstream's
 * sync. The wake-up is best effort on purpose: once the registry write is done the event is durable and
 * the card is marked dirty, so the sweeper enqueues it should this process die or Redis blink here.
 */
export function createIntake (options: {
  registry: Registry
  queues: SyncQueues
  downstreams: readonly DownstreamName[]
  logger: Logger
  metrics: GatewayMetrics
  /** The longest one event may wait for Redis, wake-up included, before it is answered 503. @defaultValue 1000 */
  deadlineMs?: number
  /** A span per event, the wake-ups' adds its children. @defaultValue NO_TRACING */
  tracing?: Tracing
}): IntakeService {
  const { registry, queues, downstreams, logger, metrics } = options
  const deadlineMs = options.deadlineMs ?? 1000
  const tracing = options.tracing ?? NO_TRACING
  return {
    async accept (event: CardEvent, fingerprint: string): Promise<IntakeResult> {
      // The correlation id is the SGC's eventId, in the span as in every log line and job run.
      const attributes = { 'leocarte.event_id': event.eventId, 'leocarte.card_id': event.card.id, 'leocarte.card.state': event.card.state }
      return await tracing.span('intake card-event', 'internal', attributes, async (span) => {
        const result = await accept(event, fingerprint)
        span.setAttributes({ 'leocarte.intake.result': result.status, ...(result.status === 'accepted' ? { 'leocarte.intake.applied': result.applied } : {}) })
        return result
      })
    },
  }

  async function accept (event: CardEvent, fingerprint: string): Promise<IntakeResult> {
    const startedAt = Date.now()
    let result: IntakeResult
    try {
      // A stalled Redis (SIGSTOP, a partition) answers nothing: the deadline turns that into a 503.
      // The script is atomic, so a late one either stored the whole event or nothing (a resend is a duplicate).
      result = await withDeadline(registry.accept(event, fingerprint), deadlineMs, 'card event intake')
    } catch (error) {
      if (error instanceof RedisDeadlineError) {
        metrics.intakeEvents.inc({ result: 'unavailable' })
        throw new RegistryUnavailableError(error)
      }
      metrics.intakeEvents.inc({ result: error instanceof RegistryUnavailableError ? 'unavailable' : 'error' })
      throw error
    }
    metrics.intakeEvents.inc({ result: result.status })
    if (result.status === 'accepted' && !result.applied) metrics.lateEvents.inc()
    if (result.status === 'accepted' && result.applied) {
      const lane = laneOfState(event.card.state)
      // Within what is left of the deadline: the event is durable already, the 202 must not wait on a wake-up.
      const left = Math.max(50, deadlineMs - (Date.now() - startedAt))
      await Promise.all(downstreams.map(async (downstream) => {
        try {
          await withDeadline(queues.wake(downstream, lane, event.card.id), left, 'wake-up')
        } catch (error) {
          logger.warn({ err: error, eventId: event.eventId, cardId: event.card.id, downstream }, 'wake-up failed; the sweeper will enqueue the card')
        }
      }))
    }
    return result
  }
}
