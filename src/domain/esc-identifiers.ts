import type { Pseudonymise } from './pseudonym.ts'

/**
 * The identifiers and values the ESC Router takes (esc-router.md §4), checked before anything is sent.
 * Pure: no I/O, and no clock (callers pass "today").
 */

export const ESI_PREFIX = 'urn:schac:personalUniqueCode:int:esi:'

/**
 * `<scope>` is an ISO 3166-1 alpha-2 country (or an ISO 3166-2 region, `FR-NOR`) for countries with
 * national student numbers, else the institution's schacHomeOrganization domain. `<code>` is a URN NSS
 * (RFC 2141 §2.2–2.4): `A-Za-z0-9()+,-.:=@;$_!*'` and %-escapes other than `%00`.
 */
const ESI_SCOPE = String.raw`(?:[A-Za-z]{2}(?:-[A-Za-z0-9]{1,3})?|(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})`
const ESI_CODE = String.raw`(?:[A-Za-z0-9()+,\-.:=@;$_!*']|%(?!00)[0-9A-Fa-f]{2})+`
/** The same rule as `Holder.esi` in openapi/gateway.yaml (a test keeps the two in step). */
export const ESI_PATTERN = new RegExp(`^${ESI_PREFIX}${ESI_SCOPE}:${ESI_CODE}$`)
export const ESI_MAX_LENGTH = 255

export const PIC_PATTERN = /^[0-9]{9}$/

/**
 * RFC 4122 version 1, lower case, whose 48-bit node is a 3-digit prefix and the 9-digit PIC written as
 * decimal digits (esc-router.md §4.3). The embedded time is never checked: the official generators
 * compute it wrongly, so real ESCNs decode to the 1630s.
 */
export const ESCN_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9]{12}$/

export const ESC_CARD_TYPES = ['UNKNOWN', 'PASSIVE', 'SMART_NO_CDZ', 'SMART_CDZ', 'SMART_MAY_SP', 'SMART_PASSIVE', 'SMART_PASSIVE_EMULATION'] as const
export type EscCardType = (typeof ESC_CARD_TYPES)[number]

export const ESC_CARD_STATUSES = ['ACTIVE', 'INACTIVE'] as const
export type EscCardStatus = (typeof ESC_CARD_STATUSES)[number]

export function isEsi (value: string): boolean {
  return value.length <= ESI_MAX_LENGTH && ESI_PATTERN.test(value)
}

/**
 * The SCHAC attribute is compared case-insensitively (caseIgnoreMatch), and the router does so:
 * `…:esi:FR:…` and `…:esi:fr:…` are one person.
 */
export function sameEsi (a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}

/** The ESI of a French student: `urn:schac:personalUniqueCode:int:esi:fr:<INE>` (ESUP-SGC's form). */
export function esiFromIne (ine: string): string {
  return `${ESI_PREFIX}fr:${ine}`
}

/**
 * A short stable reference to a person, for timelines: tells calls about one person apart without
 * writing their ESI (personal data) down, keyed (`pseudonymiser(PSEUDONYM_KEY, 'person-ref')`) so that
 * it cannot be reversed by hashing every INE. Case-insensitive, as ESIs are.
 */
export function personRef (esi: string, pseudonymise: Pseudonymise): string {
  return pseudonymise(esi.toLowerCase()).slice(0, 16)
}

export function isPic (value: string): boolean {
  return PIC_PATTERN.test(value)
}

export function isEscn (value: string): boolean {
  return ESCN_PATTERN.test(value)
}

/** The PIC in an ESCN's node (its last 9 digits): the card's issuer. */
export function picOfEscn (escn: string): string {
  return escn.slice(-9)
}

export function isEscCardType (value: string): value is EscCardType {
  return (ESC_CARD_TYPES as readonly string[]).includes(value)
}

/** `YYYY-MM-DD` naming a real day (no 2026-02-30). */
export function isCalendarDate (value: string): boolean {
  const match = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(value)
  if (match === null) return false
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

/** Whether a card expiring on `expiresAt` is past its last day on `today` (both `YYYY-MM-DD`). */
export function isExpired (expiresAt: string, today: string): boolean {
  // Fixed-width ISO dates order as strings do.
  return expiresAt < today
}
