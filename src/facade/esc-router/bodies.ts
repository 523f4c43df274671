import { ACADEMIC_LEVELS, type AcademicLevel } from '../../domain/card-state.ts'
import { ESC_CARD_TYPES, ESI_MAX_LENGTH, isCalendarDate, isEscn } from '../../domain/esc-identifiers.ts'
import { illFormedFields } from '../../domain/well-formed-text.ts'

/**
 * The bodies ESUP-SGC's ApiEscService sends (esup-sgc-dropin.md §3, E2/E3 and E5/E6), read as the router
 * reads them: unknown fields ignored, a `null` member the same as an absent one, key order free. What the
 * router would refuse (a missing identifier, a bad enum or date) is refused here too, naming the field;
 * everything else is checked by the ESC lane before it is sent on. Pure: no I/O.
 */

/** What the façade keeps of an ESC person (PersonUpdateView). */
export interface FacadePerson {
  esi: string
  fullName?: string
  email?: string
  /** The organisation's PIC (`organisationIdentifier`). */
  pic?: string
  academicLevel?: AcademicLevel
}

/** What the façade keeps of an ESC card (CardUpdateView). */
export interface FacadeCard {
  /** Lower-case, as the gateway stores ESCNs. */
  escn: string
  active: boolean
  cardType?: string
  issuedAt?: string
  expiresAt?: string
  /** The issuer's PIC. */
  issuerPic?: string
  /** The ESI of the card's person. */
  esi: string
}

export type Parsed<T> = { ok: true, value: T } | { ok: false, message: string }

const MAX_TEXT = 255

export function parsePersonBody (body: unknown, pathEsi?: string): Parsed<FacadePerson> {
  const object = asObject(body)
  if (object === undefined) return fail('the body must be a JSON object (PersonUpdateView)')
  const bad = illFormed(object)
  if (bad !== undefined) return fail(bad)
  const identifier = text(object, 'identifier') ?? pathEsi
  if (identifier === undefined || identifier.length > ESI_MAX_LENGTH) return fail('identifier is required: the ESI, at most 255 characters')
  if (!isText(object.identifier) && object.identifier !== undefined && object.identifier !== null) return fail('identifier must be a string')
  if (pathEsi !== undefined && identifier.toLowerCase() !== pathEsi.toLowerCase()) return fail('identifier must be the ESI of the path (an ESI cannot be changed)')
  const person: FacadePerson = { esi: identifier }
  const fullName = optionalText(object, 'fullName')
  if (fullName === INVALID) return fail(`fullName must be a string of at most ${MAX_TEXT} characters`)
  const views = object.personOrganisationUpdateViews
  if (views !== undefined && views !== null && !Array.isArray(views)) return fail('personOrganisationUpdateViews must be an array')
  // ESUP-SGC sends one entry, its own institution's; the first with a PIC is the one kept.
  for (const [index, raw] of (Array.isArray(views) ? views : []).entries()) {
    const view = asObject(raw)
    if (view === undefined) return fail(`personOrganisationUpdateViews[${index}] must be an object`)
    const organisation = optionalText(view, 'organisationIdentifier')
    const email = optionalText(view, 'email')
    const nameHere = optionalText(view, 'fullName')
    const level = optionalText(view, 'academicLevel')
    if (organisation === INVALID || email === INVALID || nameHere === INVALID || level === INVALID) return fail(`personOrganisationUpdateViews[${index}]: organisationIdentifier, email, fullName and academicLevel are strings of at most ${MAX_TEXT} characters`)
    if (level !== undefined && !(ACADEMIC_LEVELS as readonly string[]).includes(level)) return fail(`personOrganisationUpdateViews[${index}].academicLevel must be one of ${ACADEMIC_LEVELS.join(', ')}`)
    if (person.pic !== undefined || organisation === undefined) continue
    person.pic = organisation
    if (email !== undefined) person.email = email
    if (nameHere !== undefined) person.fullName = nameHere
    if (level !== undefined) person.academicLevel = level as AcademicLevel
  }
  // The top-level name (deprecated by the router, still sent by ESUP-SGC) when the organisation has none.
  if (person.fullName === undefined && fullName !== undefined) person.fullName = fullName
  return { ok: true, value: person }
}

export function parseCardBody (body: unknown, pathEscn?: string): Parsed<FacadeCard> {
  const object = asObject(body)
  if (object === undefined) return fail('the body must be a JSON object (CardUpdateView)')
  const bad = illFormed(object)
  if (bad !== undefined) return fail(bad)
  const fields: Record<string, string | undefined> = {}
  for (const name of ['cardNumber', 'cardStatusType', 'cardType', 'issuedAt', 'expiresAt', 'issuerIdentifier', 'personIdentifier']) {
    const value = optionalText(object, name)
    if (value === INVALID) return fail(`${name} must be a string of at most ${MAX_TEXT} characters`)
    fields[name] = value
  }
  const cardNumber = (fields.cardNumber ?? pathEscn)?.toLowerCase()
  // The gateway keys the card by its ESCN: one the router mints (a POST without cardNumber) cannot be followed.
  if (cardNumber === undefined || !isEscn(cardNumber)) return fail('cardNumber must be an ESCN (a version-1 UUID ending in the prefix and the PIC)')
  if (pathEscn !== undefined && cardNumber !== pathEscn.toLowerCase()) return fail('cardNumber must be the ESCN of the path')
  const status = fields.cardStatusType
  if (status !== 'ACTIVE' && status !== 'INACTIVE') return fail('cardStatusType is required: ACTIVE or INACTIVE')
  if (fields.personIdentifier === undefined) return fail('personIdentifier is required: the ESI of the card\'s person')
  if (fields.cardType !== undefined && !(ESC_CARD_TYPES as readonly string[]).includes(fields.cardType)) return fail(`cardType must be one of ${ESC_CARD_TYPES.join(', ')}`)
  for (const name of ['issuedAt', 'expiresAt']) {
    const date = fields[name]
    if (date !== undefined && !isCalendarDate(date)) return fail(`${name} must be a date, yyyy-MM-dd`)
  }
  const card: FacadeCard = { escn: cardNumber, active: status === 'ACTIVE', esi: fields.personIdentifier }
  if (fields.cardType !== undefined) card.cardType = fields.cardType
  if (fields.issuedAt !== undefined) card.issuedAt = fields.issuedAt
  if (fields.expiresAt !== undefined) card.expiresAt = fields.expiresAt
  if (fields.issuerIdentifier !== undefined) card.issuerPic = fields.issuerIdentifier
  return { ok: true, value: card }
}

/** A path identifier (ESI, ESCN) the façade may look up and store: well-formed text of router length. */
export function isUsableIdentifier (value: string): boolean {
  return value !== '' && value.length <= ESI_MAX_LENGTH && value.isWellFormed()
}

const INVALID = Symbol('invalid')

function fail (message: string): { ok: false, message: string } {
  return { ok: false, message }
}

function asObject (value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : undefined
}

function illFormed (value: unknown): string | undefined {
  const [first] = illFormedFields(value)
  return first === undefined ? undefined : `${first.field} ${first.message}`
}

function isText (value: unknown): value is string {
  return typeof value === 'string'
}

function text (object: Record<string, unknown>, name: string): string | undefined {
  const value = object[name]
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined
}

/** A string member (trimmed; empty is absent), absent for a missing or null one, INVALID otherwise. */
function optionalText (object: Record<string, unknown>, name: string): string | undefined | typeof INVALID {
  const value = object[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string' || value.length > MAX_TEXT) return INVALID
  return value.trim() === '' ? undefined : value.trim()
}
