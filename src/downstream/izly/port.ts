import type { IzlyOppositionReason, IzlyRightHolder, IzlySmartCard } from '../../domain/izly-plan.ts'

export interface IzlyCallContext {
  /** Sent as the X-Correlation-Id HTTP header of the call. */
  correlationId: string
}

export const IZLY_ACCOUNT_STATUSES = ['NON_CONFIRME', 'ACTIF', 'CLOTURE', 'CLOTURE_EN_COURS'] as const
export type IzlyAccountStatus = (typeof IZLY_ACCOUNT_STATUSES)[number]

export const IZLY_BLOCKING_STATUSES = ['NON_BLOQUE', 'BLOCAGE_PAR_3_MOTS_DE_PASSE_ERRONNES', 'MIS_EN_OPPOSITION', 'COMPTE_GELE'] as const
export type IzlyBlockingStatus = (typeof IZLY_BLOCKING_STATUSES)[number]

export interface IzlyRightHolderStatus {
  rightHolder: IzlyRightHolder
  accountStatus: IzlyAccountStatus
  blockingStatus: IzlyBlockingStatus
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

/**
 * The gateway's view of Izly. Every failure is a DownstreamError (downstream 'izly') whose
 * `transient` flag tells retry from "needs attention" (and `doubtful`, a transient that may be permanent,
 * how long: see errors.ts); the answers that are not failures (404 on a read; -9, 404 or -42 on an
 * opposition) come back as values.
 */
export interface IzlyPort {
  /** null when Izly does not know the holder (404). */
  getRightHolder (identifier: string, ctx: IzlyCallContext): Promise<IzlyRightHolderStatus | null>
  upsertRightHolder (rightHolder: IzlyRightHolder, ctx: IzlyCallContext): Promise<void>
  registerSmartCard (identifier: string, smartCard: IzlySmartCard, ctx: IzlyCallContext): Promise<void>
  /** null when Izly does not know the card (404). */
  getSmartCard (identifier: string, idZdc: string, ctx: IzlyCallContext): Promise<IzlySmartCardStatus | null>
  /** -9 is 'already-opposed'; 404 'not-found'; -42 'unknown-holder': none is an error (see IzlyOppositionOutcome). */
  opposeSmartCard (req: IzlyOppositionRequest, ctx: IzlyCallContext): Promise<IzlyOppositionOutcome>
  revalidateSmartCard (req: IzlyRevalidationRequest, ctx: IzlyCallContext): Promise<void>
  close (): Promise<void>
}
