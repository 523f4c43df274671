import type { EscCard, EscPerson } from '../../domain/esc-plan.ts'

export interface EscCallContext {
  /** Sent as the X-Correlation-Id header of the call. */
  correlationId: string
}

export type EscUpsertOutcome = 'created' | 'updated'
/** DELETE answering 404 is done: the entity is not there, which is what was asked. */
export type EscDeleteOutcome = 'deleted' | 'not-found'

/** The public CardStatusView of `GET /api/v2/cards/{escn}/status`. */
export interface EscCardStatusView {
  cardNumber?: string
  status: 'ACTIVE' | 'INACTIVE' | 'EXPIRED'
  issuedAt?: string
  expiresAt?: string
  issuerIdentifier?: string
  issuerName?: string
}

/**
 * The gateway's view of the ESC Router V2. Every failure is a DownstreamError (downstream 'esc') whose
 * `transient` flag tells retry from "needs attention"; answers that are not failures (409 on a create,
 * 404 on a delete) come back as values.
 */
export interface EscPort {
  /** POST; on 409 `ER-0019` a PUT of the complete person. */
  upsertPerson (person: EscPerson, ctx: EscCallContext): Promise<EscUpsertOutcome>
  /** POST; on 409 `ER-0002` a PUT of the complete card. */
  upsertCard (card: EscCard, ctx: EscCallContext): Promise<EscUpsertOutcome>
  /** PUT of the complete card, never a create: 'not-found' when the router does not hold it. */
  replaceCard (card: EscCard, ctx: EscCallContext): Promise<'updated' | 'not-found'>
  deleteCard (escn: string, ctx: EscCallContext): Promise<EscDeleteOutcome>
  deletePerson (esi: string, ctx: EscCallContext): Promise<EscDeleteOutcome>
  /** The public status (no token); null when the router does not know the card. */
  cardStatus (escn: string, ctx: EscCallContext): Promise<EscCardStatusView | null>
  close (): Promise<void>
}
