import type { Logger } from 'pino'
import type { CardEvent } from '../domain/card-event.ts'
import { type DownstreamName, laneOfState } from '../domain/downstream.ts'
import type { IntakeResult, IntakeService } from '../intake/intake-service.ts'
import type { GatewayMetrics } from '../observability/metrics.ts'
import type { Registry } from '../registry/registry.ts'
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
}): IntakeService {
  const { registry, queues, downstreams, logger, metrics } = options
  return {
    async accept (event: CardEvent, fingerprint: string): Promise<IntakeResult> {
      let result: IntakeResult
      try {
        result = await registry.accept(event, fingerprint)
      } catch (error) {
        metrics.intakeEvents.inc({ result: 'unavailable' })
        throw error
      }
      metrics.intakeEvents.inc({ result: result.status })
      if (result.status === 'accepted' && !result.applied) metrics.lateEvents.inc()
      if (result.status === 'accepted' && result.applied) {
        const lane = laneOfState(event.card.state)
        await Promise.all(downstreams.map(async (downstream) => {
          try {
            await queues.wake(downstream, lane, event.card.id)
          } catch (error) {
            logger.warn({ err: error, eventId: event.eventId, cardId: event.card.id, downstream }, 'wake-up failed; the sweeper will enqueue the card')
          }
        }))
      }
      return result
    },
  }
}
