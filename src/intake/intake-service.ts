import type { CardEvent } from '../domain/card-event.ts'

/** Result of accepting one normalised card event. */
export type IntakeResult =
  /** Durable: the event, its history line and, when `applied`, the card's new desired state and dirty mark are in Redis. */
  | { status: 'accepted', eventId: string, cardId: string, version: number, applied: boolean }
  /** Same eventId, same body: nothing changed. */
  | { status: 'duplicate', eventId: string, cardId: string }
  /** Same eventId, a different body: refused, nothing changed. */
  | { status: 'conflict', eventId: string }

/**
 * What intake adapters hand their events to. `fingerprint` identifies the event's content
 * (a hash of its canonical form) so a resent eventId can be told apart from a reused one.
 * Rejects with `RegistryUnavailableError` when Redis cannot be reached; then nothing was written.
 */
export interface IntakeService {
  accept (event: CardEvent, fingerprint: string): Promise<IntakeResult>
}

/** Seconds a caller should wait before asking again when Redis cannot be reached (`Retry-After`). */
export const REGISTRY_RETRY_AFTER_SECONDS = 5

export class RegistryUnavailableError extends Error {
  readonly code = 'REGISTRY_UNAVAILABLE'
  constructor (cause?: unknown) {
    super('the card registry (Redis) cannot be reached', { cause })
    this.name = 'RegistryUnavailableError'
  }
}
