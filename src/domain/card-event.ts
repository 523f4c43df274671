import type { AcademicLevel, CardState, DisableReason } from './card-state.ts'

/** CROUS application data of a card (izly-crous.md §3.3); idZdc is the Izly card number. */
export interface CrousCardData {
  idZdc: string
  idTransmitter: number
  idMapping: number
  zdcCreationDate: string
  pixSs?: string
  pixNn?: string
  appl?: string
  rid?: string
}

export interface Consents {
  crous: boolean
  esc: boolean
}

export interface Holder {
  eppn: string
  crousIdentifier?: string
  ine?: string
  firstName?: string
  lastName?: string
  email?: string
  birthDate?: string
  dueDate?: string
  rneOrgCode?: string
  idCompanyRate?: number
  idRate?: number
  /** Absent when the adapter could not tell: treated as "no consent" for anything that needs one. */
  consents?: Consents
  academicLevel?: AcademicLevel
  pic?: string
  esi?: string
  /**
   * The ESC person as the SGC itself sent it to the router (the ESC Router façade): its full name and
   * e-mail win over firstName/lastName/email for the router only, so Izly's data is never overwritten.
   */
  escPerson?: EscPersonData
}

export interface EscPersonData {
  fullName?: string
  email?: string
}

export interface CardData {
  id: string
  state: CardState
  previousState?: CardState
  disableReason?: DisableReason
  /** Chip serial number, upper-case hex. */
  csn?: string
  escn?: string
  cardType?: string
  issuedAt?: string
  expiresAt?: string
  external?: boolean
  crous?: CrousCardData
  /**
   * `delete`: the SGC deletes this card at the router when it is disabled (ESUP-SGC through the ESC Router
   * façade), whatever ESC_ON_DISABLE says.
   */
  escOnDisable?: 'delete'
}

/**
 * A card state change, normalised by an intake adapter. Nothing past the adapter sees HTTP,
 * and nothing may assume every optional field arrived: later events omit what is already held.
 */
export interface CardEvent {
  eventId: string
  /** RFC 3339 with offset, as sent by the SGC. */
  occurredAt: string
  card: CardData
  holder: Holder
}
