import { ACADEMIC_LEVELS } from './card-state.ts'
import { ESC_CARD_STATUSES, isCalendarDate, isEscCardType, isEscn, isEsi, isPic, picOfEscn } from './esc-identifiers.ts'
import type { EscCard, EscPerson } from './esc-plan.ts'

/** What the router would refuse, named by the field at fault (`card.expiresAt`); nothing is sent then. */
export interface EscProblem {
  field: string
  message: string
}

const MAX_TEXT = 255

/** The first problem of a card about to be sent (esc-router.md §3.2, §4), or undefined. */
export function checkEscCard (card: EscCard): EscProblem | undefined {
  if (!isEscn(card.cardNumber)) return { field: 'card.cardNumber', message: 'is not an ESCN (version-1 UUID ending in a prefix and the PIC)' }
  if (!(ESC_CARD_STATUSES as readonly string[]).includes(card.cardStatusType)) return { field: 'card.cardStatusType', message: `must be one of ${ESC_CARD_STATUSES.join(', ')}` }
  if (!isEscCardType(card.cardType)) return { field: 'card.cardType', message: 'is not a card type of the router' }
  for (const field of ['issuedAt', 'expiresAt'] as const) {
    if (!isCalendarDate(card[field])) return { field: `card.${field}`, message: 'must be a YYYY-MM-DD date' }
  }
  if (card.expiresAt < card.issuedAt) return { field: 'card.expiresAt', message: 'is before issuedAt' }
  if (!isPic(card.issuerIdentifier)) return { field: 'card.issuerIdentifier', message: 'must be a 9-digit PIC' }
  if (picOfEscn(card.cardNumber) !== card.issuerIdentifier) return { field: 'card.cardNumber', message: `does not end in the issuer PIC ${card.issuerIdentifier}` }
  if (!isEsi(card.personIdentifier)) return { field: 'card.personIdentifier', message: 'is not a valid ESI (prefix, scope, URN characters, at most 255)' }
  return undefined
}

/** The first problem of a person about to be sent (esc-router.md §3.1, §4.1), or undefined. */
export function checkEscPerson (person: EscPerson): EscProblem | undefined {
  if (!isEsi(person.identifier)) return { field: 'person.identifier', message: 'is not a valid ESI (prefix, scope, URN characters, at most 255)' }
  if (person.identifierCode !== 'ESI') return { field: 'person.identifierCode', message: 'must be ESI' }
  if (person.personOrganisationUpdateViews.length === 0) return { field: 'person.personOrganisationUpdateViews', message: 'needs the organisation' }
  for (const organisation of person.personOrganisationUpdateViews) {
    if (!isPic(organisation.organisationIdentifier)) return { field: 'person.organisationIdentifier', message: 'must be a 9-digit PIC' }
    if (organisation.academicLevel !== undefined && !(ACADEMIC_LEVELS as readonly string[]).includes(organisation.academicLevel)) {
      return { field: 'person.academicLevel', message: `must be one of ${ACADEMIC_LEVELS.join(', ')}` }
    }
    for (const field of ['email', 'fullName'] as const) {
      if ((organisation[field]?.length ?? 0) > MAX_TEXT) return { field: `person.${field}`, message: `is longer than ${MAX_TEXT} characters` }
    }
  }
  return undefined
}
