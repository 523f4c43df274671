import type { FastifyBaseLogger } from 'fastify'
import type { CardEvent } from '../domain/card-event.ts'
import { isWellFormedText } from '../domain/well-formed-text.ts'
import type { IntakeService } from './intake-service.ts'
import { fingerprint, normaliseCardEvent } from './normalise.ts'
import type { FieldError } from './problem.ts'

export type BatchEventStatus = 'accepted' | 'duplicate' | 'conflict' | 'invalid' | 'unavailable'

export interface BatchEventResult {
  /** Position of the event in the batch. */
  index: number
  /** Null when the event had no usable `eventId`. */
  eventId: string | null
  status: BatchEventStatus
  /** For an event stored now: whether it set the card's state (false: older than the state held, history only). */
  applied?: boolean
  errors?: FieldError[]
}

export interface BatchOutcome {
  /** One per event, in batch order. */
  results: BatchEventResult[]
  /** Events stored by this batch (not counting duplicates). */
  acceptedCount: number
  /** The first error `intake.accept` threw; processing stopped there. */
  failure?: unknown
}

export interface AcceptBatchOptions {
  intake: IntakeService
  validateCardEvent: (value: unknown) => FieldError[]
  /** Cards processed at once; events of one card are always accepted one after the other, in order. */
  concurrency: number
  log: FastifyBaseLogger
}

/**
 * Validates and accepts each event of a batch. Events of the same `card.id` are accepted in array
 * order, one at a time, so a card's history sees them as the SGC sent them; different cards run
 * concurrently, up to `concurrency`.
 *
 * At the first failure of `intake.accept` (Redis unreachable, typically) no further event is
 * started: events still in flight for other cards finish, every event not stored is `unavailable`,
 * and `failure` holds the error. Stopping everything rather than only the failing card keeps a
 * card's later events from overtaking an earlier one that could not be stored, and spares Redis a
 * thousand doomed attempts. The caller decides between a whole-batch 503 (nothing stored) and a
 * per-event answer.
 */
export async function acceptBatch (events: readonly unknown[], options: AcceptBatchOptions): Promise<BatchOutcome> {
  const { intake, validateCardEvent, concurrency, log } = options
  const results: BatchEventResult[] = []
  const eventsByCard = new Map<string, PendingEvent[]>()

  events.forEach((raw, index) => {
    const errors = validateCardEvent(raw)
    if (errors.length > 0) {
      results[index] = { index, eventId: eventIdOf(raw), status: 'invalid', errors }
      return
    }
    const event = normaliseCardEvent(raw)
    const pending: PendingEvent = { index, event, fingerprint: fingerprint(event) }
    const chain = eventsByCard.get(event.card.id)
    if (chain === undefined) eventsByCard.set(event.card.id, [pending])
    else chain.push(pending)
  })

  let acceptedCount = 0
  let failed = false
  let failure: unknown

  async function acceptChain (chain: readonly PendingEvent[]): Promise<void> {
    for (const { index, event, fingerprint } of chain) {
      const eventId = event.eventId
      if (failed) {
        results[index] = { index, eventId, status: 'unavailable' }
        continue
      }
      try {
        const result = await intake.accept(event, fingerprint)
        if (result.status === 'accepted') acceptedCount++
        results[index] = result.status === 'accepted' ? { index, eventId, status: result.status, applied: result.applied } : { index, eventId, status: result.status }
        log.info({ eventId, cardId: event.card.id, status: result.status }, 'batch card event processed')
      } catch (error) {
        if (!failed) failure = error
        failed = true
        results[index] = { index, eventId, status: 'unavailable' }
      }
    }
  }

  const chains = [...eventsByCard.values()]
  let next = 0
  async function runWorker (): Promise<void> {
    while (next < chains.length) {
      const chain = chains[next++]
      if (chain !== undefined) await acceptChain(chain)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, chains.length) }, runWorker))

  return failed ? { results, acceptedCount, failure } : { results, acceptedCount }
}

interface PendingEvent {
  index: number
  event: CardEvent
  fingerprint: string
}

function eventIdOf (raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null) return null
  const eventId = (raw as { eventId?: unknown }).eventId
  return typeof eventId === 'string' && eventId.length > 0 && eventId.length <= 128 && isWellFormedText(eventId) ? eventId : null
}
