import type { IzlyRightHolderStatus } from '../../downstream/izly/port.ts'
import type { CardRecord } from '../../domain/card-record.ts'
import { STUDENT_COMPANY_RATE } from '../../domain/right-holder-plan.ts'
import { writeSgcLocalTime } from './local-time.ts'

/**
 * The bodies the façade answers ESUP-SGC with, in its own format (esup-sgc-dropin.md §2.2, §2.5). Pure.
 */

type Json = Record<string, unknown>

/** A real CROUS answer, as ESUP-SGC reads a RightHolder: dates as its local time with a literal `Z`. */
export function rightHolderAnswer (status: IzlyRightHolderStatus, timeZone: string): Json {
  const { rightHolder } = status
  return {
    identifier: rightHolder.identifier,
    firstName: rightHolder.firstName ?? null,
    lastName: rightHolder.lastName ?? null,
    email: rightHolder.email ?? null,
    dueDate: rightHolder.dueDate === undefined ? null : writeSgcLocalTime(rightHolder.dueDate, timeZone) ?? null,
    idCompanyRate: rightHolder.idCompanyRate ?? null,
    idRate: rightHolder.idRate ?? null,
    simpleBirthDate: rightHolder.birthDate?.slice(0, 10) ?? '',
    ine: rightHolder.ine ?? null,
    rneOrgCode: rightHolder.rneOrgCode ?? null,
    accountStatus: status.accountStatus ?? null,
    blockingStatus: status.blockingStatus ?? null,
  }
}

const ACCOUNT = new Set(['DUMMY', 'NON_CONFIRME', 'ACTIF', 'CLOTURE', 'CLOTURE_EN_COURS'])
const BLOCKING = new Set(['DUMMY', 'NON_BLOQUE', 'BLOCAGE_PAR_3_MOTS_DE_PASSE_ERRONNES', 'MIS_EN_OPPOSITION', 'COMPTE_GELE'])

/**
 * A C1 answer made safe for ESUP-SGC's right-holder step, so that the opposition (C8) always follows:
 * - the company rate 10 only when ESUP-SGC computes 10 too (`sentCompanyRate`, from its last write) and
 *   with an idRate; otherwise both rates are left out (never invented), ESUP-SGC then sends a C3 the
 *   gateway forwards under SPEC §5's rules (rate 10 is kept at CROUS), instead of stopping at KO_BLOCKED;
 * - account and blocking statuses only from ESUP-SGC's lists (another value fails its parsing: rollback);
 * - a non-empty identifier (a null one leads ESUP-SGC to PATCH /rightholders/null).
 */
export function safeRightHolderAnswer (answer: Json, requested: string, sentCompanyRate: unknown): Json {
  const safe: Json = { ...answer }
  if (typeof safe.identifier !== 'string' || safe.identifier === '') safe.identifier = requested
  if (safe.idCompanyRate === STUDENT_COMPANY_RATE && (sentCompanyRate !== STUDENT_COMPANY_RATE || typeof safe.idRate !== 'number')) {
    safe.idCompanyRate = null
    safe.idRate = null
  }
  if (safe.accountStatus !== null && safe.accountStatus !== undefined && !ACCOUNT.has(String(safe.accountStatus))) safe.accountStatus = null
  if (safe.blockingStatus !== null && safe.blockingStatus !== undefined && !BLOCKING.has(String(safe.blockingStatus))) safe.blockingStatus = null
  return safe
}

/** C5's answer for a card the gateway holds: its CrousSmartCard as ESUP-SGC reads it (only logged there). */
export function smartCardAnswer (record: CardRecord, timeZone: string): Json {
  const crous = record.card.crous
  return {
    idTransmitter: crous?.idTransmitter ?? null,
    idMapping: crous?.idMapping ?? null,
    idZdc: crous === undefined ? null : Number(crous.idZdc),
    zdcCreationDate: crous?.zdcCreationDate === undefined || crous.zdcCreationDate === '' ? null : writeSgcLocalTime(crous.zdcCreationDate, timeZone) ?? null,
    pixSs: crous?.pixSs ?? null,
    pixNn: crous?.pixNn ?? null,
    appl: crous?.appl ?? null,
    uid: record.card.csn ?? null,
    rid: crous?.rid ?? null,
  }
}

/** API CROUS's error body: ESUP-SGC reads `errors[0].code` and `.message` into its CROUS error log. */
export function crousError (code: string, message: string, field: string | null = null): Json {
  return { errors: [{ code, message, field }] }
}

/**
 * Whether the gateway holds the card's full CROUS registration data (a card first met through an
 * opposition holds only its idZdc): only then does C5 answer 200, otherwise 404 so that ESUP-SGC sends C6.
 */
export function holdsRegistration (record: CardRecord): boolean {
  const crous = record.card.crous
  return crous !== undefined && crous.zdcCreationDate !== '' && record.card.csn !== undefined
}
