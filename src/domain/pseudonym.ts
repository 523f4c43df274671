import { createHmac } from 'node:crypto'

/**
 * Keyed hashes that stand for a person where the person must be told apart but not named: Redis key
 * names by eppn, the timeline's person reference. An unkeyed hash of an eppn or an ESI (prefix + INE,
 * about 10^11 values) is reversed by trying them all; with PSEUDONYM_KEY (HMAC-SHA256) it cannot be
 * without the key. `purpose` separates the uses, so one kind of reference says nothing about another.
 */
export type Pseudonymise = (value: string) => string

export type PseudonymPurpose = 'holder-key' | 'person-ref' | 'erasure-ref' | 'esc-facade-person'

export function pseudonymiser (key: string, purpose: PseudonymPurpose, hexLength = 32): Pseudonymise {
  if (typeof key !== 'string' || key.length < 32) throw new TypeError('pseudonymiser: the key must be at least 32 characters (PSEUDONYM_KEY)')
  return (value) => createHmac('sha256', key).update(`${purpose}\n`).update(value, 'utf8').digest('hex').slice(0, hexLength)
}
