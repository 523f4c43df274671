import type { CardEvent, Consents, Holder } from '../../domain/card-event.ts'
import type { CardRecord } from '../../domain/card-record.ts'
import { OPPOSED_STATES } from '../../domain/card-state.ts'
import { canonicalJson } from '../../intake/normalise.ts'
import type { FacadeCard, FacadePerson } from './bodies.ts'

/**
 * How ESUP-SGC's ESC calls become card events (SPEC §4, ESC column, through the one intake). Pure: the
 * caller reads the card's current record (by ESCN) and the façade's copy of the person, and gives the
 * clock and a fresh event id.
 *
 * ESUP-SGC's ESC connector runs after its CROUS one, inside the same state change, so what it says is
 * the card's latest state: an event that only adds ESC data (or keeps an opposition) is dated just after
 * the state held, so that it is never "late" against a CROUS or JSON event dated a little ahead of the
 * gateway's clock. Only a re-enablement of an opposed card takes the plain clock: a late one is then
 * recorded and not applied, and an opposition is never undone by an ESC call that arrived after it.
 */

/** The card id of a card first met through the ESC façade: stable, derived from its ESCN alone. */
export function escFacadeCardId (escn: string): string {
  return `esc-${escn.toLowerCase()}`
}

/**
 * The eppn a card first met through the ESC façade is filed under: the ESC façade never sees an eppn, and
 * the holder's cards (whether another keeps the ESC person) are then grouped by person. Lower case, as
 * ESIs compare. An E7 for a card never seen before has no person: it is filed under the card.
 */
export function escFacadeHolderKey (esi: string | undefined, escn: string): string {
  return esi === undefined ? `esc-card:${escn.toLowerCase()}` : esi.toLowerCase()
}

export interface EventContext {
  eventId: string
  nowMs: number
}

/** E5/E6 (POST or PUT of a card): the card at the router ACTIVE (an enabled card) or INACTIVE. */
export function cardWriteEvent (input: FacadeCard, current: CardRecord | undefined, person: FacadePerson | undefined, context: EventContext): CardEvent | undefined {
  const opposed = current !== undefined && OPPOSED_STATES.has(current.card.state)
  const state = input.active ? 'ENABLED' : (opposed ? current.card.state : 'DISABLED')
  const reEnables = input.active && opposed
  const card: CardEvent['card'] = { id: current?.card.id ?? escFacadeCardId(input.escn), state, escn: input.escn }
  if (!input.active && opposed && current.card.disableReason !== undefined) card.disableReason = current.card.disableReason
  if (input.cardType !== undefined) card.cardType = input.cardType
  if (input.issuedAt !== undefined) card.issuedAt = input.issuedAt
  if (input.expiresAt !== undefined) card.expiresAt = input.expiresAt
  const holder: Holder = {
    ...personFields(person !== undefined && sameEsi(person.esi, input.esi) ? person : undefined),
    eppn: current?.holder.eppn ?? escFacadeHolderKey(input.esi, input.escn),
    esi: input.esi,
    consents: withEsc(current, true),
  }
  const pic = input.issuerPic ?? person?.pic
  if (pic !== undefined) holder.pic = pic
  if (current !== undefined && nothingNew(current, card, holder)) return undefined
  return { eventId: context.eventId, occurredAt: eventTime(current, context.nowMs, reEnables), card, holder }
}

/**
 * E7 (DELETE of a card): ESUP-SGC deletes the card at the router when it disables it (and before a CADUC's
 * person DELETE). The card is kept opposed, with its reason, or becomes DISABLED, and is deleted at the router
 * whatever ESC_ON_DISABLE says. Undefined when the gateway already holds exactly that.
 */
export function cardDeleteEvent (escn: string, current: CardRecord | undefined, context: EventContext): CardEvent | undefined {
  const opposed = current !== undefined && OPPOSED_STATES.has(current.card.state)
  if (opposed && current.card.escOnDisable === 'delete' && current.holder.consents?.esc === true) return undefined
  const card: CardEvent['card'] = { id: current?.card.id ?? escFacadeCardId(escn), state: opposed ? current.card.state : 'DISABLED', escn: escn.toLowerCase(), escOnDisable: 'delete' }
  if (opposed && current.card.disableReason !== undefined) card.disableReason = current.card.disableReason
  const holder: Holder = { eppn: current?.holder.eppn ?? escFacadeHolderKey(undefined, escn), consents: withEsc(current, true) }
  return { eventId: context.eventId, occurredAt: eventTime(current, context.nowMs, false), card, holder }
}

/**
 * E4 (DELETE of a person): the person's consent withdrawn on each of their cards (opt-out, or a CADUC's
 * second call), so the ESC lane deletes what it registered. The card's state and reason are kept.
 */
export function consentWithdrawnEvent (current: CardRecord, context: EventContext): CardEvent | undefined {
  if (current.holder.consents?.esc === false) return undefined
  return { eventId: context.eventId, occurredAt: eventTime(current, context.nowMs, false), card: keptCard(current), holder: { eppn: current.holder.eppn, consents: withEsc(current, false) } }
}

/**
 * E2/E3 (POST or PUT of a person) for a card of theirs the gateway already holds enabled: the ESC person's
 * new name, e-mail, PIC or level, so the ESC lane sends the person again. Undefined when nothing changed.
 */
export function personUpdateEvent (person: FacadePerson, current: CardRecord, context: EventContext): CardEvent | undefined {
  if (current.card.state !== 'ENABLED') return undefined
  const holder: Holder = { ...personFields(person), eppn: current.holder.eppn, esi: person.esi, consents: withEsc(current, true) }
  if (person.pic !== undefined) holder.pic = person.pic
  if (nothingNew(current, keptCard(current), holder)) return undefined
  return { eventId: context.eventId, occurredAt: eventTime(current, context.nowMs, false), card: keptCard(current), holder }
}

function personFields (person: FacadePerson | undefined): Partial<Holder> {
  if (person === undefined) return {}
  const fields: Partial<Holder> = {}
  const escPerson: NonNullable<Holder['escPerson']> = {}
  if (person.fullName !== undefined) escPerson.fullName = person.fullName
  if (person.email !== undefined) escPerson.email = person.email
  if (Object.keys(escPerson).length > 0) fields.escPerson = escPerson
  if (person.academicLevel !== undefined) fields.academicLevel = person.academicLevel
  return fields
}

/** The card as held: an event that changes only the holder keeps the state and its reason. */
function keptCard (current: CardRecord): CardEvent['card'] {
  const card: CardEvent['card'] = { id: current.card.id, state: current.card.state }
  if (current.card.disableReason !== undefined) card.disableReason = current.card.disableReason
  return card
}

/** The card's CROUS consent as held (none known: none), with the ESC one as ESUP-SGC's call implies. */
function withEsc (current: CardRecord | undefined, esc: boolean): Consents {
  return { crous: current?.holder.consents?.crous ?? false, esc }
}

function eventTime (current: CardRecord | undefined, nowMs: number, plainClock: boolean): string {
  const after = current === undefined || plainClock ? nowMs : Math.max(nowMs, current.occurredAtMs + 1)
  return new Date(after).toISOString()
}

/** Whether merging would change nothing the downstreams read (a resent call): then no event is made. */
function nothingNew (current: CardRecord, card: CardEvent['card'], holder: Holder): boolean {
  const cardSame = Object.entries(card).every(([key, value]) => canonicalJson((current.card as unknown as Record<string, unknown>)[key]) === canonicalJson(value))
  const holderSame = Object.entries(holder).every(([key, value]) => canonicalJson((current.holder as unknown as Record<string, unknown>)[key]) === canonicalJson(value))
  // A held reason the event would drop is a change too.
  return cardSame && holderSame && (current.card.disableReason === undefined || card.disableReason === current.card.disableReason)
}

function sameEsi (a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}
