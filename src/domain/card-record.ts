import type { CardData, CardEvent, Holder } from './card-event.ts'
import { OPPOSED_STATES } from './card-state.ts'
import { parseEventTime } from './event-time.ts'

/**
 * The desired state of one card: the merge of every event applied so far. `version` grows by one
 * each time an event is applied; downstreams record the version they last confirmed.
 */
export interface CardRecord {
  version: number
  card: CardData
  holder: Holder
  /** `occurredAt` of the event that set the current state, in epoch milliseconds (the ordering key). */
  occurredAtMs: number
  occurredAt: string
  /** eventId of the last applied event: the correlation id of the work it implies. */
  eventId: string
  /**
   * When the gateway accepted that event, epoch milliseconds. Not the opposition-lag clock's start:
   * `leocarte_opposition_lag_seconds` counts from `occurredAtMs` (the SGC's own time of the change).
   */
  acceptedAtMs: number
}

export type MergeOutcome =
  | { applied: true, record: CardRecord }
  | { applied: false, reason: 'late' }

/**
 * Applies an event to the current record. An event older than the one that set the current state
 * (by occurredAt) is not applied, so a late event never rolls a card back. At the same instant the
 * opposed state wins (an opposed card is made usable again only by a newer event); otherwise the later
 * arrival does. Fields the event omits keep their held value: a later event may carry less than the first one.
 */
export function mergeEvent (current: CardRecord | undefined, event: CardEvent, acceptedAtMs: number): MergeOutcome {
  const occurredAtMs = parseEventTime(event.occurredAt)
  // The intake adapters refuse such an event with a 400; reaching here is a bug, never a silent NaN.
  if (occurredAtMs === undefined) throw new RangeError(`occurredAt of event ${event.eventId} is not an RFC 3339 date-time`)
  if (current !== undefined && isLate(current, event, occurredAtMs)) {
    return { applied: false, reason: 'late' }
  }
  const card: CardData = { ...current?.card, ...dropUndefined(event.card), id: event.card.id, state: event.card.state }
  // A reason only describes the state it came with: a re-enabled card has none.
  if (event.card.disableReason === undefined) delete card.disableReason
  if (event.card.previousState === undefined) delete card.previousState
  const holder: Holder = { ...current?.holder, ...dropUndefined(event.holder), eppn: event.holder.eppn }
  return {
    applied: true,
    record: {
      version: (current?.version ?? 0) + 1,
      card,
      holder,
      occurredAtMs,
      occurredAt: event.occurredAt,
      eventId: event.eventId,
      acceptedAtMs,
    },
  }
}

function isLate (current: CardRecord, event: CardEvent, occurredAtMs: number): boolean {
  if (occurredAtMs !== current.occurredAtMs) return occurredAtMs < current.occurredAtMs
  return OPPOSED_STATES.has(current.card.state) && !OPPOSED_STATES.has(event.card.state)
}

function dropUndefined<T extends object> (value: T): Partial<T> {
  const out: Partial<T> = {}
  for (const [key, field] of Object.entries(value)) {
    if (field !== undefined) (out as Record<string, unknown>)[key] = field
  }
  return out
}
