import type { IzlyOppositionReason, IzlyRightHolder, IzlySmartCard } from '../../domain/izly-plan.ts'
import type { IdentifierPatch } from '../../domain/right-holder-plan.ts'

export interface IzlyCallContext {
  /** Sent as the X-Correlation-Id HTTP header of the call. */
  correlationId: string
  /**
   * Overall deadline of this call in milliseconds, everything included (a token request too); defaults
   * to the client's. A caller answering someone synchronously (a façade's read) passes a short one.
   */
  timeoutMs?: number
}

export const IZLY_ACCOUNT_STATUSES = ['NON_CONFIRME', 'ACTIF', 'CLOTURE', 'CLOTURE_EN_COURS'] as const
export type IzlyAccountStatus = (typeof IZLY_ACCOUNT_STATUSES)[number]

export const IZLY_BLOCKING_STATUSES = ['NON_BLOQUE', 'BLOCAGE_PAR_3_MOTS_DE_PASSE_ERRONNES', 'MIS_EN_OPPOSITION', 'COMPTE_GELE'] as const
export type IzlyBlockingStatus = (typeof IZLY_BLOCKING_STATUSES)[number]

export interface IzlyRightHolderStatus {
  rightHolder: IzlyRightHolder
  /** Always there over SOAP (the WSDL requires it); the API CROUS may leave it out or send a value we do not know. */
  accountStatus?: IzlyAccountStatus
  blockingStatus?: IzlyBlockingStatus
}

export interface IzlySmartCardStatus {
  smartCard: IzlySmartCard
  /** cancelDate is set and no later revalidationDate is. */
  opposed: boolean
  reason?: IzlyOppositionReason
  cancelDate?: string
  revalidationDate?: string
}

export interface IzlyOppositionRequest {
  identifier: string
  idZdc: string
  uid: string
  reason: IzlyOppositionReason
  cancelDate: string
}

export interface IzlyRevalidationRequest {
  identifier: string
  idZdc: string
  uid: string
  revalidationDate: string
}

/**
 * What an opposition under one holder key came to. Neither `not-found` nor `unknown-holder` is an error:
 * the sync tries the holder's next key (izly-sync.ts), and only once every key has answered one of them
 * does it decide: nothing to oppose when some key's holder exists without this card, "needs attention"
 * (code -42) when no key is a holder Izly knows.
 * - `opposed`: Izly opposed the card now.
 * - `already-opposed`: it already was (`-9`): success, the call is idempotent.
 * - `not-found`: Izly does not hold this card under this key (SOAP: an IzlyFault 404; REST: a 404 on the
 *   card PATCH, which the API CROUS also answers for an unknown holder).
 * - `unknown-holder`: Izly knows no right holder under this key (`-42` "Client inconnu", whatever the status).
 * Anything else (a 423, another 422 code, 5xx, a timeout, a 200 that is not the operation's answer)
 * is thrown as a DownstreamError, classified as for every other call.
 */
export type IzlyOppositionOutcome = 'opposed' | 'already-opposed' | 'not-found' | 'unknown-holder'

/** `already-exists`: CROUS answered -11 ("Client existant"): read the holder and update it instead. */
export type IzlyCreateOutcome = 'created' | 'already-exists'

export type IzlyIdentifierPatch = IdentifierPatch

/**
 * The gateway's view of Izly, whichever transport carries it (SOAP on wsdl/izly-card-service.wsdl, or
 * the API CROUS REST resources of openapi/api-crous-v1.yaml). Every failure is a DownstreamError
 * (downstream 'izly') whose `transient` flag tells retry from "needs attention" (and `doubtful`, a
 * transient that may be permanent, how long: see errors.ts); the answers that are not failures (404 on
 * a read; -9, 404 or -42 on an opposition; -11 on a creation) come back as values.
 * Safe for concurrent use: the sync worker and a façade may share one.
 */
export interface IzlyPort {
  /** null when Izly does not know the holder (404). */
  getRightHolder (identifier: string, ctx: IzlyCallContext): Promise<IzlyRightHolderStatus | null>
  /** POST /rightholders (SOAP: UpsertRightHolder mode CREATE). -11 is 'already-exists'. */
  createRightHolder (rightHolder: IzlyRightHolder, ctx: IzlyCallContext): Promise<IzlyCreateOutcome>
  /** PUT /rightholders/{identifier} (SOAP: UpsertRightHolder mode UPDATE): replaces the holder, so send it complete. */
  updateRightHolder (rightHolder: IzlyRightHolder, ctx: IzlyCallContext): Promise<void>
  /** PATCH /rightholders/{currentIdentifier}: the holder (and its cards) is known under newIdentifier from then on. */
  patchIdentifier (patch: IzlyIdentifierPatch, ctx: IzlyCallContext): Promise<void>
  /** DELETE /closed-rightholders/{identifier}: re-opens a closed Izly account. */
  uncloseRightHolder (identifier: string, ctx: IzlyCallContext): Promise<void>
  registerSmartCard (identifier: string, smartCard: IzlySmartCard, ctx: IzlyCallContext): Promise<void>
  /** null when Izly does not know the card (404). */
  getSmartCard (identifier: string, idZdc: string, ctx: IzlyCallContext): Promise<IzlySmartCardStatus | null>
  /** -9 is 'already-opposed'; 404 'not-found'; -42 'unknown-holder': none is an error (see IzlyOppositionOutcome). */
  opposeSmartCard (req: IzlyOppositionRequest, ctx: IzlyCallContext): Promise<IzlyOppositionOutcome>
  revalidateSmartCard (req: IzlyRevalidationRequest, ctx: IzlyCallContext): Promise<void>
  close (): Promise<void>
}
