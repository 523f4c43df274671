import { createHash } from 'node:crypto'
import type { CardEvent } from '../domain/card-event.ts'
import { canonicalEventTime } from '../domain/event-time.ts'

/**
 * A schema-valid SGC card event (SPEC §3) as the normalised `CardEvent`. The schema already fixes the
 * shape, so the only changes are letter case (the chip serial upper-case, as CROUS keys cards by it,
 * and the ESCN lower-case, the router's form) and `occurredAt` in its canonical RFC 3339 spelling.
 * The input is copied, never modified.
 */
export function normaliseCardEvent (validated: unknown): CardEvent {
  const event = structuredClone(validated) as CardEvent
  if (event.card.csn !== undefined) event.card.csn = event.card.csn.toUpperCase()
  if (event.card.escn !== undefined) event.card.escn = event.card.escn.toLowerCase()
  // The instant as written, the canonical way (a leap second as :59.999): what Izly receives as cancelDate.
  event.occurredAt = canonicalEventTime(event.occurredAt) ?? event.occurredAt
  return event
}

/**
 * Identifies an event's content: the SHA-256 (hex) of its canonical JSON, keys sorted at every level.
 * The same event re-sent with another key order or `csn`/`escn` case has the same fingerprint once normalised.
 */
export function fingerprint (event: CardEvent): string {
  return createHash('sha256').update(canonicalJson(event)).digest('hex')
}

export function canonicalJson (value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

function sortKeys (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value === null || typeof value !== 'object') return value
  // No prototype, so a `__proto__` key stays plain data.
  const sorted: Record<string, unknown> = Object.create(null)
  for (const key of Object.keys(value).sort()) {
    const child = (value as Record<string, unknown>)[key]
    // JSON.stringify drops undefined members; skip them here too so an explicit undefined hashes like an absent key.
    if (child !== undefined) sorted[key] = sortKeys(child)
  }
  return sorted
}
