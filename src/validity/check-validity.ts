import type { CardRecord } from '../domain/card-record.ts'
import { isExpired, picOfEscn } from '../domain/esc-identifiers.ts'
import { RegistryUnavailableError } from '../intake/intake-service.ts'
import type { CardIdentifierKind } from '../registry/keys.ts'
import { isRedisUnavailable } from '../registry/unavailable.ts'
import { type Candidate, readIdentifier } from './card-identifier.ts'
import type { RouterCardStatus, RouterStatusLookup } from './router-status-client.ts'

export type ValiditySource = 'registry' | 'esc-router'

/** The answer of both interfaces (SPEC §7). */
export interface CardValidity {
  /** The identifier as looked up (CSN upper-case, ESCN lower-case). */
  cardId: string
  idType: CardIdentifierKind
  valid: boolean
  /** SGC card state for a card of the registry; the router's status (ACTIVE, INACTIVE, EXPIRED) for a foreign one. */
  state: string
  /** Why the card is (in)valid: the disable reason of a DISABLED card, EXPIRED past its expiry day, else the state. */
  reason: string
  /** When the current state began (the SGC's occurredAt); unknown for a foreign card. */
  since?: string
  /** Last day of validity, `YYYY-MM-DD`. */
  expiresAt?: string
  source: ValiditySource
  /** The issuing institution of a foreign card: its PIC and, when the router gives it, its name. */
  issuer?: { identifier: string, name?: string }
}

export type ValidityOutcome =
  | { outcome: 'answer', validity: CardValidity }
  | { outcome: 'unknown-card', cardId: string }
  | { outcome: 'invalid-card-id', detail: string }
  /** An all-digit value that is both a known CSN and a known idZdc: the caller must say which (`type`). */
  | { outcome: 'ambiguous-card-id', cardId: string }
  /** A foreign ESCN the router could not be asked about: never answered by a guess. */
  | { outcome: 'router-unavailable', cardId: string, retryAfterSeconds: number, detail: string }

type Decision = Pick<CardValidity, 'valid' | 'state' | 'reason' | 'since' | 'expiresAt' | 'issuer'>

/**
 * The validity of a card of the registry on `today` (`YYYY-MM-DD` in the institution's zone): valid when
 * its latest state is ENABLED and its last day (card expiry, else the holder's due date) is not past.
 */
export function decideFromRecord (record: CardRecord, today: string): Decision {
  const { card } = record
  const expiresAt = calendarDay(card.expiresAt) ?? calendarDay(record.holder.dueDate)
  const expired = expiresAt !== undefined && isExpired(expiresAt, today)
  const valid = card.state === 'ENABLED' && !expired
  let reason: string = card.state
  if (card.state === 'DISABLED' && card.disableReason !== undefined) reason = card.disableReason
  else if (card.state === 'ENABLED' && expired) reason = 'EXPIRED'
  return {
    valid,
    state: card.state,
    reason,
    since: record.occurredAt,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    // A foreign card the SGC holds (external): its issuer's PIC is in the ESCN (esc-router.md §6.5).
    ...(card.external === true && card.escn !== undefined ? { issuer: { identifier: picOfEscn(card.escn) } } : {}),
  }
}

/** A foreign card, as a verifier checks it (esc-router.md §6.2): ACTIVE and `expiresAt` not past. */
export function decideFromRouter (escn: string, status: RouterCardStatus, today: string): Decision {
  const expiresAt = calendarDay(status.expiresAt)
  const expired = status.status === 'EXPIRED' || (expiresAt !== undefined && isExpired(expiresAt, today))
  const valid = status.status === 'ACTIVE' && !expired
  const issuer: NonNullable<CardValidity['issuer']> = { identifier: status.issuerIdentifier ?? picOfEscn(escn) }
  if (status.issuerName !== undefined) issuer.name = status.issuerName
  return {
    valid,
    state: status.status,
    reason: expired ? 'EXPIRED' : status.status,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    issuer,
  }
}

/** The `YYYY-MM-DD` day of a date or date-time as written (an SGC due date keeps its own offset's day). */
function calendarDay (value: string | undefined): string | undefined {
  return value !== undefined && /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : undefined
}

const dayFormats = new Map<string, Intl.DateTimeFormat>()

/** Today's calendar day in `timeZone`, `YYYY-MM-DD`. */
export function todayIn (timeZone: string, nowMs: number): string {
  let format = dayFormats.get(timeZone)
  if (format === undefined) {
    // en-CA formats dates as YYYY-MM-DD.
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
    dayFormats.set(timeZone, format)
  }
  return format.format(nowMs)
}

export interface ValidityCheckerOptions {
  /** The registry's lookup by identifier; its desired state is written at intake, before any worker runs. */
  findCard (kind: CardIdentifierKind, value: string): Promise<CardRecord | undefined>
  /** Asked only about an ESCN the registry does not hold. */
  router: RouterStatusLookup
  /** Whose calendar day decides expiry. */
  timeZone: string
  /** @defaultValue Date.now */
  now?: () => number
}

export interface ValidityChecker {
  /** Rejects with `RegistryUnavailableError` when Redis cannot be read. */
  check (cardId: string, type?: CardIdentifierKind): Promise<ValidityOutcome>
}

const MAX_IDENTIFIER_LENGTH = 256

/** The one lookup both interfaces share: the registry first, the router only for an ESCN it does not hold. */
export function createValidityChecker (options: ValidityCheckerOptions): ValidityChecker {
  const now = options.now ?? Date.now
  const { router, timeZone } = options

  async function find (candidate: Candidate): Promise<CardRecord | undefined> {
    try {
      return await options.findCard(candidate.kind, candidate.value)
    } catch (error) {
      // A corrupt record or a bug is a 500, not "retry": only unavailability is.
      throw isRedisUnavailable(error) ? new RegistryUnavailableError(error) : error
    }
  }

  return {
    async check (raw, type) {
      const candidates = raw.length <= MAX_IDENTIFIER_LENGTH ? readIdentifier(raw, type) : []
      if (candidates.length === 0) {
        return { outcome: 'invalid-card-id', detail: type === undefined ? 'not a CSN (8, 14 or 20 hex digits), an idZdc (1 to 15 digits) or an ESCN' : `not a valid ${type}` }
      }
      const records = await Promise.all(candidates.map(find))
      const found = candidates.flatMap((candidate, index) => {
        const record = records[index]
        return record === undefined ? [] : [{ candidate, record }]
      })
      const [first, second] = found
      if (second !== undefined) return { outcome: 'ambiguous-card-id', cardId: raw.trim() }
      const today = todayIn(timeZone, now())
      if (first !== undefined) {
        const { candidate, record } = first
        return { outcome: 'answer', validity: { cardId: candidate.value, idType: candidate.kind, ...decideFromRecord(record, today), source: 'registry' } }
      }
      const escn = candidates.find((candidate) => candidate.kind === 'escn')
      if (escn === undefined) return { outcome: 'unknown-card', cardId: candidates[0]?.value ?? raw }
      const answer = await router.lookup(escn.value)
      if (answer.kind === 'unknown') return { outcome: 'unknown-card', cardId: escn.value }
      if (answer.kind === 'unavailable') {
        return { outcome: 'router-unavailable', cardId: escn.value, retryAfterSeconds: answer.retryAfterSeconds, detail: answer.detail }
      }
      return { outcome: 'answer', validity: { cardId: escn.value, idType: 'escn', ...decideFromRouter(escn.value, answer.card, today), source: 'esc-router' } }
    },
  }
}
