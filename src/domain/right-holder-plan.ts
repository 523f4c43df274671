import type { IzlyRightHolder } from './izly-plan.ts'

/**
 * The right-holder rules of SPEC §5 (izly-crous.md §3.1, esup-sgc-dropin.md §2.3), for both transports:
 * given the holder as the SGC has it and as CROUS answered it, what to write. Pure: the Izly sync reads
 * CROUS, asks this, then writes.
 *
 * - CROUS owns most student records (CVEC import): for a holder with an INE (on either side) only `ine`, `rneOrgCode` and
 *   `idCompanyRate` are compared and pushed (and the key, by an identifier patch); for others the names,
 *   e-mail, birth date and `idRate` too.
 * - A holder at company rate 10 (students) is never moved to another company rate, and keeps the rate
 *   CROUS gave it (98, the €1 meal of scholarship holders).
 * - `dueDate` is only ever extended, never shortened; a gap under 5 minutes is no change.
 * - Comparisons ignore case and accents; a missing value equals "".
 * - A value the SGC does not have is never pushed over the one CROUS has.
 * - A 406 (another institution's priority RNE) on a write does not block adding or opposing a card.
 */

export type RightHolderField = 'email' | 'firstName' | 'lastName' | 'ine' | 'rneOrgCode' | 'idCompanyRate' | 'idRate' | 'birthDate' | 'dueDate'

/** What is compared and pushed for a student (a holder with an INE), besides the key and the due date. */
export const STUDENT_FIELDS: readonly RightHolderField[] = ['ine', 'rneOrgCode', 'idCompanyRate']
/** What is compared and pushed for anyone else, besides the key and the due date. */
export const OTHER_FIELDS: readonly RightHolderField[] = ['email', 'firstName', 'lastName', 'ine', 'rneOrgCode', 'idCompanyRate', 'idRate', 'birthDate']

/** The company rate of students at CROUS: never moved to another one. */
export const STUDENT_COMPANY_RATE = 10
/** Due dates closer than this are the same date (ESUP-SGC's tolerance). */
export const DUE_DATE_TOLERANCE_MS = 5 * 60_000

export interface IdentifierPatch {
  /** The key CROUS knows the holder by now. */
  currentIdentifier: string
  /** The holder's e-mail as CROUS answered it (the API wants it with the patch). */
  email?: string
  newIdentifier: string
}

export type RightHolderPlan =
  /** CROUS does not know the holder under any of its keys. */
  | { kind: 'create', rightHolder: IzlyRightHolder }
  | {
    kind: 'sync'
    /** The key the holder has at CROUS once this is done: card calls use it. */
    identifier: string
    /** Change the key CROUS knows the holder by, first. */
    patch?: IdentifierPatch
    /** Replace the holder at CROUS with this complete record (CROUS's own fields, ours where they win). */
    update?: { rightHolder: IzlyRightHolder, fields: RightHolderField[] }
    /** Fields where the SGC differs but CROUS's value is kept by a rule (rate 10, a later due date). */
    kept: RightHolderField[]
  }

/**
 * What to write so that CROUS holds `wanted` (the SGC's holder, keyed as the gateway keys it) as far
 * as the rules allow. `found` is the holder as CROUS answered it, looked up under `wanted.identifier` or
 * another key of the holder; null when no key found it.
 */
export function planRightHolder (wanted: IzlyRightHolder, found: IzlyRightHolder | null): RightHolderPlan {
  if (found === null) return { kind: 'create', rightHolder: wanted }
  const identifier = keyAfterSync(wanted, found)
  const patch: IdentifierPatch | undefined = identifier === found.identifier
    ? undefined
    : { currentIdentifier: found.identifier, newIdentifier: identifier, ...(found.email === undefined ? {} : { email: found.email }) }

  const changes: Partial<IzlyRightHolder> = {}
  const fields: RightHolderField[] = []
  const kept: RightHolderField[] = []
  // An INE on either side: a CVEC record CROUS owns, even when this SGC event carried no INE.
  const student = isStudent(wanted) || isStudent(found)
  for (const field of student ? STUDENT_FIELDS : OTHER_FIELDS) {
    const ours = wanted[field]
    if (ours === undefined || ours === '' || sameValue(field, ours, found[field])) continue
    if ((field === 'idCompanyRate' || field === 'idRate') && found.idCompanyRate === STUDENT_COMPANY_RATE) {
      kept.push(field)
      continue
    }
    Object.assign(changes, { [field]: ours })
    fields.push(field)
  }
  const dueDate = compareDueDates(wanted.dueDate, found.dueDate)
  if (dueDate === 'extend') {
    changes.dueDate = wanted.dueDate as string
    fields.push('dueDate')
  } else if (dueDate === 'keep-later') {
    kept.push('dueDate')
  }

  return {
    kind: 'sync',
    identifier,
    ...(patch === undefined ? {} : { patch }),
    ...(fields.length === 0 ? {} : { update: { rightHolder: { ...found, ...changes, identifier }, fields } }),
    kept,
  }
}

/** A write refused with this status still lets the card be registered or opposed (SPEC §5: 406). */
export function rightHolderFaultBlocksCard (httpStatus: number | undefined): boolean {
  return httpStatus !== 406
}

/** A holder with an INE is a student: CROUS owns the rest of the record. */
export function isStudent (holder: IzlyRightHolder): boolean {
  return holder.ine !== undefined && holder.ine.trim() !== ''
}

/**
 * The key the holder keeps at CROUS: the gateway's key, except that a holder CROUS keys by its INE stays
 * so (CNOUS asks institutions to key students by INE; moving them off it would split their account).
 */
function keyAfterSync (wanted: IzlyRightHolder, found: IzlyRightHolder): string {
  if (found.identifier === wanted.identifier) return found.identifier
  if (isStudent(wanted) && found.identifier === wanted.ine) return found.identifier
  return wanted.identifier
}

/** Text the way ESUP-SGC compares it: case and accents ignored, surrounding spaces too; absent is "". */
export function sameText (a: string | undefined, b: string | undefined): boolean {
  return folded(a) === folded(b)
}

function folded (text: string | undefined): string {
  return (text ?? '').normalize('NFD').replace(/\p{M}/gu, '').trim().toLocaleLowerCase('fr')
}

function sameValue (field: RightHolderField, ours: string | number, theirs: string | number | undefined): boolean {
  if (typeof ours === 'number') return ours === theirs
  if (field === 'birthDate') return ours.slice(0, 10) === (typeof theirs === 'string' ? theirs.slice(0, 10) : '')
  return sameText(ours, typeof theirs === 'number' ? String(theirs) : theirs)
}

/** `extend`: ours is later by the tolerance or more (or CROUS has none); `keep-later`: CROUS's is later. */
function compareDueDates (ours: string | undefined, theirs: string | undefined): 'extend' | 'same' | 'keep-later' {
  const oursMs = ours === undefined ? Number.NaN : Date.parse(ours)
  if (Number.isNaN(oursMs)) return 'same'
  const theirsMs = theirs === undefined ? Number.NaN : Date.parse(theirs)
  if (Number.isNaN(theirsMs)) return 'extend'
  if (oursMs - theirsMs >= DUE_DATE_TOLERANCE_MS) return 'extend'
  return theirsMs - oursMs >= DUE_DATE_TOLERANCE_MS ? 'keep-later' : 'same'
}
