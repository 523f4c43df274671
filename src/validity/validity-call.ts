import type { ValidityOutcome, ValiditySource } from './check-validity.ts'

/** What a validity request came to, for its log line and metrics: ids and outcomes, no personal data. */
export interface ValidityCall {
  /** valid, not-valid, unknown-card, invalid-card-id, ambiguous-card-id, router-unavailable, unauthorized, ... */
  outcome: string
  cardId?: string
  source?: ValiditySource
  /** Set when the caller should come back later (router or registry unavailable). */
  retryAfterSeconds?: number
}

export function describeOutcome (result: ValidityOutcome): ValidityCall {
  switch (result.outcome) {
    case 'answer':
      return { outcome: result.validity.valid ? 'valid' : 'not-valid', cardId: result.validity.cardId, source: result.validity.source }
    case 'router-unavailable':
      return { outcome: result.outcome, cardId: result.cardId, source: 'esc-router', retryAfterSeconds: result.retryAfterSeconds }
    case 'invalid-card-id':
      return { outcome: result.outcome }
    default:
      return { outcome: result.outcome, cardId: result.cardId }
  }
}
