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

export type IzlyOppositionOutcome = 'opposed' | 'already-opposed' | 'not-found'

/**
 * The gateway's view of Izly. Every failure is a DownstreamError (downstream 'izly') whose
 * `transient` flag tells retry from "needs attention"; the answers that are not failures
 * (404 on a read, -9 or 404 on an opposition) come back as values.
 */
export interface IzlyPort {
  /** null when Izly does not know the holder (404). */
  getRightHolder (identifier: string, ctx: IzlyCallContext): Promise<IzlyRightHolderStatus | null>
  upsertRightHolder (rightHolder: IzlyRightHolder, ctx: IzlyCallContext): Promise<void>
  registerSmartCard (identifier: string, smartCard: IzlySmartCard, ctx: IzlyCallContext): Promise<void>
  /** null when Izly does not know the card (404). */
  getSmartCard (identifier: string, idZdc: string, ctx: IzlyCallContext): Promise<IzlySmartCardStatus | null>
  /** -9 (already opposed) is 'already-opposed'; 404 is 'not-found': neither is an error. */
  opposeSmartCard (req: IzlyOppositionRequest, ctx: IzlyCallContext): Promise<IzlyOppositionOutcome>
  revalidateSmartCard (req: IzlyRevalidationRequest, ctx: IzlyCallContext): Promise<void>
  close (): Promise<void>
}
