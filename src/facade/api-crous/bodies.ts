import type { CrousCardData, Holder } from '../../domain/card-event.ts'
import type { DisableReason } from '../../domain/card-state.ts'
import { illFormedFields } from '../../domain/well-formed-text.ts'
import { readSgcLocalTime } from './local-time.ts'

/**
 * The bodies ESUP-SGC sends API CROUS (esup-sgc-dropin.md §2.2), read as the façade needs them. Pure.
 * Key order is not fixed and nulls are present. Reading is lenient where refusing would make ESUP-SGC
 * skip an opposition or roll a change back: a field of the wrong type is left out, never refused.
 * Refused (400 naming the field): text that is not well-formed Unicode, and a missing key.
 */

export interface FieldProblem {
  field: string
  message: string
}

export type Read<T> = { ok: true, value: T } | { ok: false, errors: FieldProblem[] }

/** The holder fields a RightHolder body carries, as the registry's Holder holds them (dueDate a true instant). */
export type HolderFields = Omit<Holder, 'eppn' | 'consents' | 'academicLevel' | 'pic' | 'esi'>

type Json = Record<string, unknown>

export function isJsonObject (value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** Path segments and bodies: lone surrogates alias keys in Redis, so they are refused with the field named. */
export function illFormed (values: Record<string, unknown>): FieldProblem[] {
  const problems: FieldProblem[] = []
  for (const [name, value] of Object.entries(values)) problems.push(...illFormedFields(value, name))
  return problems
}

/** C2/C3: the RightHolder body. `identifier` is the key it is stored under (C3: the path's). */
export function readRightHolder (body: unknown, timeZone: string): Read<{ identifier: string | undefined, fields: HolderFields }> {
  if (!isJsonObject(body)) return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object (RightHolder)' }] }
  const fields: HolderFields = {}
  const put = <K extends keyof HolderFields>(key: K, value: HolderFields[K] | undefined): void => { if (value !== undefined) fields[key] = value }
  put('firstName', text(body.firstName))
  put('lastName', text(body.lastName))
  put('email', text(body.email))
  put('dueDate', readSgcLocalTime(body.dueDate, timeZone))
  put('idCompanyRate', integer(body.idCompanyRate))
  put('idRate', integer(body.idRate))
  const birth = text(body.simpleBirthDate) ?? text(body.birthDate)
  put('birthDate', birth !== undefined && /^\d{4}-\d{2}-\d{2}/.test(birth) ? birth.slice(0, 10) : undefined)
  put('ine', text(body.ine))
  put('rneOrgCode', text(body.rneOrgCode))
  return { ok: true, value: { identifier: text(body.identifier), fields } }
}

/** C4: `{currentIdentifier, email, newIdentifier}`. */
export function readPatchIdentifier (body: unknown): Read<{ newIdentifier: string, email?: string }> {
  if (!isJsonObject(body)) return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object (PatchIdentifier)' }] }
  const newIdentifier = text(body.newIdentifier)
  if (newIdentifier === undefined || newIdentifier === 'null') return { ok: false, errors: [{ field: 'newIdentifier', message: 'is required' }] }
  const email = text(body.email)
  return { ok: true, value: { newIdentifier, ...(email === undefined ? {} : { email }) } }
}

/** idZdc as ESUP-SGC sends it (a decimal Long), as the registry indexes it: 1 to 15 digits. */
export function readIdZdc (value: unknown): string | undefined {
  const raw = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? String(value) : typeof value === 'string' ? value.trim() : undefined
  return raw !== undefined && /^[0-9]{1,15}$/.test(raw) ? raw : undefined
}

const CSN = /^(?:[0-9a-f]{8}|[0-9a-f]{14}|[0-9a-f]{20})$/i

/** A chip serial (the `uid` header or field), upper-case; undefined when it is not one. */
export function readCsn (value: unknown): string | undefined {
  return typeof value === 'string' && CSN.test(value.trim()) ? value.trim().toUpperCase() : undefined
}

/** C6: the CrousSmartCard body: the full CROUS card data and the chip serial. */
export function readSmartCard (body: unknown, timeZone: string): Read<{ csn: string, crous: CrousCardData }> {
  if (!isJsonObject(body)) return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object (CrousSmartCard)' }] }
  const errors: FieldProblem[] = []
  const idZdc = readIdZdc(body.idZdc)
  if (idZdc === undefined) errors.push({ field: 'idZdc', message: 'must be a card number of 1 to 15 digits' })
  const csn = readCsn(body.uid)
  if (csn === undefined) errors.push({ field: 'uid', message: 'must be the chip serial: 8, 14 or 20 hex digits' })
  if (idZdc === undefined || csn === undefined) return { ok: false, errors }
  const crous: CrousCardData = {
    idZdc,
    idTransmitter: integer(body.idTransmitter) ?? 0,
    idMapping: integer(body.idMapping) ?? 0,
    zdcCreationDate: readSgcLocalTime(body.zdcCreationDate, timeZone) ?? '',
  }
  for (const key of ['pixSs', 'pixNn', 'appl', 'rid'] as const) {
    const value = text(body[key])
    if (value !== undefined) crous[key] = value
  }
  return { ok: true, value: { csn, crous } }
}

export type CardPatch =
  | { kind: 'oppose', reason: DisableReason | undefined, code: string, at: string | undefined }
  | { kind: 'revalidate', at: string | undefined }

const MOTIF: Record<string, DisableReason> = { DP: 'LOST', DV: 'THEFT', CD: 'OUT_OF_ORDER' }

/**
 * C7/C8: `{revalidationDate, cancelDate, reason}` in any order, the unused ones "" or null. A cancelDate or
 * a reason makes it an opposition (an unknown reason is HS: an opposition is never refused for its reason).
 */
export function readCardPatch (body: unknown, timeZone: string): Read<CardPatch> {
  if (!isJsonObject(body)) return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object ({cancelDate, reason, revalidationDate})' }] }
  const cancel = text(body.cancelDate)
  const reason = text(body.reason)
  const revalidation = text(body.revalidationDate)
  if (cancel !== undefined || reason !== undefined) {
    const code = reason !== undefined && (reason in MOTIF || reason === 'HS') ? reason : 'HS'
    return { ok: true, value: { kind: 'oppose', reason: MOTIF[code], code, at: readSgcLocalTime(cancel, timeZone) } }
  }
  if (revalidation !== undefined) return { ok: true, value: { kind: 'revalidate', at: readSgcLocalTime(revalidation, timeZone) } }
  return { ok: false, errors: [{ field: 'cancelDate', message: 'one of cancelDate (an opposition) or revalidationDate (a revalidation) is required' }] }
}

function text (value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return undefined
}

function integer (value: unknown): number | undefined {
  const number = typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim()) ? Number(value) : value
  return typeof number === 'number' && Number.isSafeInteger(number) ? number : undefined
}
