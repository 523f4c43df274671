import { isEscn } from '../domain/esc-identifiers.ts'
import type { CardIdentifierKind } from '../registry/keys.ts'

/** The identifier forms a validity query may use (SPEC §7), named as the registry indexes them. */
export const ID_TYPES: readonly CardIdentifierKind[] = ['csn', 'idZdc', 'escn']

export function isIdType (value: unknown): value is CardIdentifierKind {
  return typeof value === 'string' && (ID_TYPES as readonly string[]).includes(value)
}

/** Chip serial number: 4, 7 or 10 bytes in hex. */
const CSN = /^(?:[0-9a-f]{8}|[0-9a-f]{14}|[0-9a-f]{20})$/i
/** CROUS card number (NUM_CARTE). */
const ID_ZDC = /^[0-9]{1,15}$/

/** One way to read an identifier: its kind and its value as the registry stores it. */
export interface Candidate {
  kind: CardIdentifierKind
  value: string
}

/**
 * The readings of `raw` as a card identifier, most specific first; empty when it fits no form.
 * A decimal string of 8 or 14 digits is both a possible CSN and a possible idZdc, so it has two
 * readings and the caller looks both up. With `type`, only that reading is tried.
 * Values come back as stored (both normalised at intake): CSN upper-case, ESCN lower-case; either case is read.
 */
export function readIdentifier (raw: string, type?: CardIdentifierKind): Candidate[] {
  const value = raw.trim()
  const candidates: Candidate[] = []
  const lowerCase = value.toLowerCase()
  if ((type === undefined || type === 'escn') && isEscn(lowerCase)) candidates.push({ kind: 'escn', value: lowerCase })
  if ((type === undefined || type === 'idZdc') && ID_ZDC.test(value)) candidates.push({ kind: 'idZdc', value })
  if ((type === undefined || type === 'csn') && CSN.test(value)) candidates.push({ kind: 'csn', value: value.toUpperCase() })
  return candidates
}

/**
 * The ESCN a European Student Card QR code carries: the last path segment of its URL, whatever the
 * host (`https://s.esc-r.eu/<escn>`, legacy `http://esc.gg/<escn>`, `http://pp.esc.gg/<escn>`, or an
 * institution's own domain), per esc-router.md §6.1. Hosts are deliberately not allow-listed.
 * A bare ESCN is accepted too. Undefined when the last segment is not an ESCN.
 */
export function escnFromQr (content: string): string | undefined {
  // Query and fragment are not part of the path; a trailing slash leaves the ESCN as the last segment.
  const path = content.trim().split(/[?#]/, 1)[0] ?? ''
  const segments = path.split('/').filter((segment) => segment !== '')
  const last = segments.at(-1)
  if (last === undefined) return undefined
  let segment: string
  try {
    segment = decodeURIComponent(last)
  } catch {
    return undefined
  }
  const escn = segment.toLowerCase()
  return isEscn(escn) ? escn : undefined
}
