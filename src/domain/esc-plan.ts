import type { Holder } from './card-event.ts'
import type { CardRecord } from './card-record.ts'
import { checkEscCard, checkEscPerson } from './esc-checks.ts'
import { type EscCardStatus, type EscCardType, esiFromIne, isExpired, sameEsi } from './esc-identifiers.ts'
import type { RemoteCardState, SyncRecord } from './sync-record.ts'

/** PersonUpdateView of the router (openapi/esc-router-v2.yaml), as the gateway fills it. */
export interface EscPerson {
  identifier: string
  identifierCode: 'ESI'
  personOrganisationUpdateViews: EscPersonOrganisation[]
}

export interface EscPersonOrganisation {
  organisationIdentifier: string
  academicLevel?: string
  email?: string
  fullName?: string
}

/** CardUpdateView of the router: always complete, as a PUT replaces the whole card. */
export interface EscCard {
  cardNumber: string
  cardStatusType: EscCardStatus
  cardType: EscCardType
  issuedAt: string
  expiresAt: string
  issuerIdentifier: string
  personIdentifier: string
}

export type EscWork =
  /** Nothing to send; `outcome` says why. */
  | { kind: 'none', outcome: string, remoteState?: RemoteCardState }
  /** The SGC data would be refused by the router: nothing is sent, an operator fixes the data. */
  | { kind: 'invalid', code: string, field: string, message: string }
  /**
   * Person then card ACTIVE. `retire`: the person is registered under another ESI, which the router
   * cannot change; the card and that person (when no other card of theirs is left active) go first.
   */
  | { kind: 'upsert', person: EscPerson, card: EscCard, retire?: { esi: string, escn: string } }
  /** The card INACTIVE (a PUT of the complete card). */
  | { kind: 'deactivate', card: EscCard }
  | { kind: 'delete-card', escn: string }
  /** The card, then the person when none of the holder's other cards is left active. */
  | { kind: 'delete-card-then-person', escn: string, esi: string | undefined }
  /** Consent withdrawn: the card (when it may be there) then the person. */
  | { kind: 'delete-person', esi: string, escn: string | undefined }

export type EscOnDisable = 'inactive' | 'delete'

export interface EscPlanOptions {
  /** ESC_PIC: the institution's PIC, used when the holder has none. */
  pic: string | undefined
  /** ESC_CARD_TYPE: the card type when the SGC gives none. */
  cardType: EscCardType
  /** ESC_ON_DISABLE: a disabled card is made INACTIVE, or deleted. */
  onDisable: EscOnDisable
  /** The current day, `YYYY-MM-DD`: a card expired before it is never sent as ACTIVE. */
  today: string
}

/**
 * What the ESC Router needs so that it matches the card's desired state (SPEC §4, ESC column). Pure:
 * the ESC sync calls it with the record read when the job runs. Nothing about a holder is sent without
 * `consents.esc`; withdrawing it deletes the person this card's sync registered.
 */
export function planEsc (record: CardRecord, confirmed: SyncRecord, options: EscPlanOptions): EscWork {
  const { card, holder } = record
  if (card.external === true) return none('skipped-external-card')
  const registered = confirmed.remoteHolder
  if (holder.consents?.esc !== true) {
    if (registered === undefined) return none('skipped-no-esc-consent')
    const mayHoldCard = card.escn !== undefined && confirmed.remoteState !== 'absent'
    return { kind: 'delete-person', esi: registered, escn: mayHoldCard ? card.escn : undefined }
  }
  const { state } = card
  if (state !== 'ENABLED' && state !== 'DISABLED' && state !== 'CADUC' && state !== 'DESTROYED') return none('no-esc-work-for-state')

  if (card.escn === undefined) return none(state === 'ENABLED' ? 'skipped-no-escn' : 'nothing-to-remove-no-escn')
  const escn = card.escn
  if (state === 'DESTROYED' || (state === 'DISABLED' && (options.onDisable === 'delete' || card.escOnDisable === 'delete'))) return { kind: 'delete-card', escn }
  const esi = holderEsi(holder)
  // The router holds the person under the ESI it was registered with: that one is the one to remove.
  if (state === 'CADUC') return { kind: 'delete-card-then-person', escn, esi: registered ?? esi }

  if (esi === undefined) return none('skipped-no-esi')
  const pic = holder.pic ?? options.pic
  if (pic === undefined) return none('skipped-no-pic')
  const dates = cardDates(record)
  if (dates === undefined) return none('skipped-no-expiry')
  const cardFields = { cardNumber: escn, cardType: (card.cardType ?? options.cardType) as EscCardType, ...dates, issuerIdentifier: pic }

  if (state === 'DISABLED') {
    return checked({ kind: 'deactivate', card: { ...cardFields, cardStatusType: 'INACTIVE', personIdentifier: registered ?? esi } })
  }
  if (isExpired(dates.expiresAt, options.today)) return none('skipped-card-expired')
  const upsert: Extract<EscWork, { kind: 'upsert' }> = { kind: 'upsert', person: personOf(esi, pic, holder), card: { ...cardFields, cardStatusType: 'ACTIVE', personIdentifier: esi } }
  return checked(registered !== undefined && !sameEsi(registered, esi) ? { ...upsert, retire: { esi: registered, escn } } : upsert)
}

/** The holder's ESI: the one the SGC gives, else the French form built from the INE. */
export function holderEsi (holder: Holder): string | undefined {
  if (holder.esi !== undefined) return holder.esi
  return holder.ine !== undefined ? esiFromIne(holder.ine) : undefined
}

/**
 * Whether a card keeps its holder's person at the router: enabled, issued here, with an ESCN and the
 * holder's consent. CADUC deletes the person only when no other card of theirs is.
 */
export function isEscActive (record: CardRecord): boolean {
  const { card, holder } = record
  return card.state === 'ENABLED' && card.external !== true && card.escn !== undefined && holder.consents?.esc === true
}

/** issuedAt and expiresAt as sent: the SGC's, else the day of the event and the holder's due date. */
function cardDates (record: CardRecord): { issuedAt: string, expiresAt: string } | undefined {
  const expiresAt = record.card.expiresAt ?? record.holder.dueDate?.slice(0, 10)
  if (expiresAt === undefined) return undefined
  return { issuedAt: record.card.issuedAt ?? record.occurredAt.slice(0, 10), expiresAt }
}

function personOf (esi: string, pic: string, holder: Holder): EscPerson {
  const organisation: EscPersonOrganisation = { organisationIdentifier: pic }
  if (holder.academicLevel !== undefined) organisation.academicLevel = holder.academicLevel
  const email = holder.escPerson?.email ?? holder.email
  if (email !== undefined) organisation.email = email
  const fullName = holder.escPerson?.fullName ?? [holder.firstName, holder.lastName].filter((part) => part !== undefined && part !== '').join(' ')
  // The name lives on the organisation entry since the router deprecated the top-level one.
  if (fullName !== '') organisation.fullName = fullName
  return { identifier: esi, identifierCode: 'ESI', personOrganisationUpdateViews: [organisation] }
}

/** The work, or why the router would refuse it: then nothing is sent and an operator fixes the SGC data. */
function checked (work: Extract<EscWork, { kind: 'upsert' | 'deactivate' }>): EscWork {
  const problem = checkEscCard(work.card) ?? (work.kind === 'upsert' ? checkEscPerson(work.person) : undefined)
  return problem === undefined ? work : { kind: 'invalid', code: 'ESC_INVALID_DATA', ...problem }
}

function none (outcome: string): EscWork {
  return { kind: 'none', outcome }
}

