import type { IzlyOppositionReason, IzlyRightHolder, IzlySmartCard } from '../../domain/izly-plan.ts'
import { isOpposed } from './opposition.ts'
import {
  IZLY_ACCOUNT_STATUSES, IZLY_BLOCKING_STATUSES, type IzlyAccountStatus, type IzlyBlockingStatus, type IzlyIdentifierPatch,
  type IzlyRightHolderStatus, type IzlySmartCardStatus,
} from './port.ts'

/**
 * The API CROUS JSON bodies (openapi/api-crous-v1.yaml), shared by the REST client and the simulator.
 * Written exactly as ESUP-SGC writes them (esup-sgc-dropin.md §2.2), except that date-times carry the
 * true UTC instant; read leniently, as ESUP-SGC reads them.
 */

type Json = Record<string, unknown>

/**
 * `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` in true UTC. ESUP-SGC writes its JVM's local time with a literal `Z`;
 * the gateway writes the real instant. Throws a TypeError on a date the gateway should never hold.
 */
export function apiDateTime (value: string): string {
  const ms = Date.parse(value)
  if (Number.isNaN(ms)) throw new TypeError('not a date-time')
  return new Date(ms).toISOString()
}

/**
 * A date-time as the API answers it (`…Z`, `…+02`, `…+02:00`, with or without seconds or fraction),
 * as an ISO string; undefined for null, "" or what cannot be read.
 */
export function readApiDateTime (value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value).toISOString()
  if (typeof value !== 'string' || value.trim() === '') return undefined
  const trimmed = value.trim()
  const withTime = /T\d{2}:\d{2}/.test(trimmed) ? trimmed : `${trimmed}T00:00:00Z`
  // "+02" and "+0200" → "+02:00" (what Date.parse reads); no offset at all is taken as UTC.
  const normalised = withTime
    .replace(/(T[\d:.]+)([+-]\d{2}):?(\d{2})?$/, (_match, time: string, hours: string, minutes: string | undefined) => `${time}${hours}:${minutes ?? '00'}`)
    .replace(/(T[\d:.]+)$/, '$1Z')
  const ms = Date.parse(normalised)
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString()
}

/** POST and PUT body: ESUP-SGC's RightHolder, every field present, null when unknown. */
export function rightHolderBody (rightHolder: IzlyRightHolder): Json {
  return {
    identifier: rightHolder.identifier,
    firstName: rightHolder.firstName ?? null,
    lastName: rightHolder.lastName ?? null,
    email: rightHolder.email ?? null,
    dueDate: rightHolder.dueDate === undefined ? null : apiDateTime(rightHolder.dueDate),
    idCompanyRate: rightHolder.idCompanyRate ?? null,
    idRate: rightHolder.idRate ?? null,
    simpleBirthDate: rightHolder.birthDate?.slice(0, 10) ?? '',
    ine: rightHolder.ine ?? null,
    rneOrgCode: rightHolder.rneOrgCode ?? null,
    accountStatus: null,
    blockingStatus: null,
  }
}

/** POST …/smartcard body: ESUP-SGC's CrousSmartCard (numbers as JSON numbers, the CSN upper-case). */
export function smartCardBody (smartCard: IzlySmartCard): Json {
  return {
    idTransmitter: smartCard.idTransmitter,
    idMapping: smartCard.idMapping,
    idZdc: cardNumber(smartCard.idZdc),
    zdcCreationDate: apiDateTime(smartCard.zdcCreationDate),
    pixSs: smartCard.pixSs ?? null,
    pixNn: smartCard.pixNn ?? null,
    appl: smartCard.appl ?? null,
    uid: smartCard.uid.toUpperCase(),
    rid: smartCard.rid ?? null,
  }
}

export function oppositionBody (reason: IzlyOppositionReason, cancelDate: string): Json {
  return { cancelDate: apiDateTime(cancelDate), reason, revalidationDate: '' }
}

export function revalidationBody (revalidationDate: string): Json {
  return { revalidationDate: apiDateTime(revalidationDate), cancelDate: '', reason: '' }
}

export function patchIdentifierBody (patch: IzlyIdentifierPatch): Json {
  return { currentIdentifier: patch.currentIdentifier, email: patch.email ?? null, newIdentifier: patch.newIdentifier }
}

/** idZdc as a JSON number (ESUP-SGC's Long); 15 digits at most, so always a safe integer. */
export function cardNumber (idZdc: string): number {
  if (!/^[0-9]{1,15}$/.test(idZdc)) throw new TypeError('idZdc must be 1 to 15 digits')
  return Number(idZdc)
}

/** A GET …/rightholders/{id} answer; undefined when it is not a right holder. */
export function readRightHolderAnswer (json: unknown): IzlyRightHolderStatus | undefined {
  if (!isJson(json) || typeof json.identifier !== 'string' || json.identifier === '') return undefined
  const rightHolder = definedOnly({
    identifier: json.identifier,
    firstName: text(json.firstName),
    lastName: text(json.lastName),
    email: text(json.email),
    dueDate: readApiDateTime(json.dueDate),
    idCompanyRate: integer(json.idCompanyRate),
    idRate: integer(json.idRate),
    // simpleBirthDate since October 2025; before, birthDate as a date-time.
    birthDate: text(json.simpleBirthDate)?.slice(0, 10) ?? readApiDateTime(json.birthDate)?.slice(0, 10),
    ine: text(json.ine),
    rneOrgCode: text(json.rneOrgCode),
  }) as unknown as IzlyRightHolder
  const accountStatus = oneOf(json.accountStatus, IZLY_ACCOUNT_STATUSES)
  const blockingStatus = oneOf(json.blockingStatus, IZLY_BLOCKING_STATUSES)
  return {
    rightHolder,
    ...(accountStatus === undefined ? {} : { accountStatus: accountStatus as IzlyAccountStatus }),
    ...(blockingStatus === undefined ? {} : { blockingStatus: blockingStatus as IzlyBlockingStatus }),
  }
}

/** A GET …/smartcard/{idZdc} answer; undefined when it is not a card. `idZdc` fills in a card number left out. */
export function readSmartCardAnswer (json: unknown, idZdc: string): IzlySmartCardStatus | undefined {
  if (!isJson(json)) return undefined
  const uid = text(json.uid)
  const number = typeof json.idZdc === 'number' ? String(json.idZdc) : text(json.idZdc) ?? idZdc
  if (uid === undefined && text(json.rid) === undefined && json.idZdc === undefined) return undefined
  const cancelDate = readApiDateTime(json.cancelDate)
  // izlyctl spells it revalidateDate.
  const revalidationDate = readApiDateTime(json.revalidationDate) ?? readApiDateTime(json.revalidateDate)
  const reason = oneOf(json.reason, ['DP', 'DV', 'CD', 'HS'] as const)
  const smartCard = definedOnly({
    uid: uid ?? '',
    rid: text(json.rid),
    idZdc: number,
    idTransmitter: integer(json.idTransmitter) ?? 0,
    idMapping: integer(json.idMapping) ?? 0,
    zdcCreationDate: readApiDateTime(json.zdcCreationDate) ?? '',
    pixSs: text(json.pixSs),
    pixNn: text(json.pixNn),
    appl: text(json.appl),
  }) as unknown as IzlySmartCard
  return {
    smartCard,
    opposed: isOpposed(cancelDate, revalidationDate),
    ...(reason === undefined || cancelDate === undefined ? {} : { reason: reason as IzlyOppositionReason }),
    ...(cancelDate === undefined ? {} : { cancelDate }),
    ...(revalidationDate === undefined ? {} : { revalidationDate }),
  }
}

export function isJson (value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function text (value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value
  if (typeof value === 'number') return String(value)
  return undefined
}

function integer (value: unknown): number | undefined {
  const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value
  return typeof number === 'number' && Number.isInteger(number) ? number : undefined
}

function oneOf<T extends string> (value: unknown, allowed: readonly T[]): T | undefined {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? value as T : undefined
}

function definedOnly (fields: Json): Json {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined))
}
