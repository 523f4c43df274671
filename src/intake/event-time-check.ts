import { parseEventTime } from '../domain/event-time.ts'
import type { FieldError } from './problem.ts'

/** OCCURRED_AT_MAX_AHEAD_SECONDS: how far ahead of its signature time an event may say it happened. */
export const DEFAULT_MAX_AHEAD_SECONDS = 300

/**
 * The problems of a schema-valid event's `occurredAt` (SPEC §3): it must read as an instant, and may be
 * at most `maxAheadSeconds` ahead of the signature's `t`. An event dated 2099 would otherwise be the
 * latest state of its card for 73 years: every real DISABLED after it would arrive "late".
 */
export function occurredAtProblems (event: unknown, signedAtSeconds: number, maxAheadSeconds: number, field = 'occurredAt'): FieldError[] {
  const text = (event as { occurredAt?: unknown } | null)?.occurredAt
  if (typeof text !== 'string') return []
  const at = parseEventTime(text)
  if (at === undefined) return [{ field, message: 'must be an RFC 3339 date-time with an offset' }]
  if (at > (signedAtSeconds + maxAheadSeconds) * 1000) {
    return [{ field, message: `must not be more than ${maxAheadSeconds} s ahead of the signature time (t=${signedAtSeconds})` }]
  }
  return []
}

/** The `t` of an `X-Signature` header (already verified by then), or undefined. */
export function signatureTime (header: string | string[] | undefined): number | undefined {
  const match = typeof header === 'string' ? /(?:^|,)\s*t=(\d{1,15})\s*(?:,|$)/.exec(header) : null
  return match === null ? undefined : Number(match[1])
}
