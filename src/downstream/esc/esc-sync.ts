import type { CardRecord } from '../../domain/card-record.ts'
import { personRef } from '../../domain/esc-identifiers.ts'
import { type Pseudonymise, pseudonymiser } from '../../domain/pseudonym.ts'
import { type EscPlanOptions, type EscWork, isEscActive, planEsc } from '../../domain/esc-plan.ts'
import type { SyncRecord } from '../../domain/sync-record.ts'
import { DownstreamError } from '../errors.ts'
import type { DownstreamSync, SyncContext, SyncResult } from '../types.ts'
import type { EscHolders } from './holders.ts'
import type { EscDeleteOutcome, EscPort } from './port.ts'

export interface EscSyncOptions extends Omit<EscPlanOptions, 'today'> {
  /** The current day, `YYYY-MM-DD`. @defaultValue the UTC date now */
  today?: () => string
  /** PSEUDONYM_KEY: the timeline names a person by a keyed hash of their ESI. */
  pseudonymKey: string
}

/**
 * The ESC Router as a downstream of the sync worker: plans with the pure domain mapping (SPEC §4, ESC
 * column), then makes the calls. Only built when the router is configured: otherwise the gateway has
 * no ESC downstream at all.
 */
export function createEscSync (port: EscPort, options: EscSyncOptions, holders: EscHolders): DownstreamSync {
  const { today: todayOption, pseudonymKey, ...planOptions } = options
  const today = todayOption ?? (() => new Date().toISOString().slice(0, 10))
  const person = pseudonymiser(pseudonymKey, 'person-ref')
  return {
    name: 'esc',
    async apply (record: CardRecord, confirmed: SyncRecord, context: SyncContext): Promise<SyncResult> {
      const work = planEsc(record, confirmed, { ...planOptions, today: today() })
      switch (work.kind) {
        case 'none':
          return { remoteState: work.remoteState, outcome: work.outcome }
        case 'invalid':
          throw new DownstreamError({ downstream: 'esc', code: work.code, message: `not sent to the ESC Router: ${work.field} ${work.message}`, transient: false, field: work.field })
        default:
          return await holders.exclusive(record.holder.eppn, async () => await new EscCalls(port, holders, record, context, person).run(work))
      }
    },
  }
}

/** The calls one piece of work takes, each recorded in the card's timeline (the ESI only as a hash). */
class EscCalls {
  readonly #port: EscPort
  readonly #holders: EscHolders
  readonly #record: CardRecord
  readonly #context: SyncContext
  readonly #pseudonymise: Pseudonymise

  constructor (port: EscPort, holders: EscHolders, record: CardRecord, context: SyncContext, pseudonymise: Pseudonymise) {
    this.#port = port
    this.#holders = holders
    this.#record = record
    this.#context = context
    this.#pseudonymise = pseudonymise
  }

  personRef (esi: string): string {
    return personRef(esi, this.#pseudonymise)
  }

  async run (work: Exclude<EscWork, { kind: 'none' | 'invalid' }>): Promise<SyncResult> {
    switch (work.kind) {
      case 'upsert': {
        if (work.retire !== undefined) {
          // The router cannot change an ESI: the card and the old person go, then both come back under the new one.
          await this.deleteCard(work.retire.escn)
          await this.deletePersonUnlessActiveElsewhere(work.retire.esi)
        }
        const person = await this.#port.upsertPerson(work.person, this.#context)
        await this.#context.record({ operation: 'upsert person', person: this.personRef(work.person.identifier), result: person })
        const card = await this.#port.upsertCard(work.card, this.#context)
        await this.#context.record({ operation: 'upsert card', escn: work.card.cardNumber, status: 'ACTIVE', result: card })
        return { remoteState: 'active', remoteHolder: work.person.identifier, outcome: card === 'created' ? 'registered' : 'updated' }
      }
      case 'deactivate': {
        const answer = await this.#port.replaceCard(work.card, this.#context)
        await this.#context.record({ operation: 'PUT card', escn: work.card.cardNumber, status: 'INACTIVE', result: answer })
        return answer === 'updated'
          ? { remoteState: 'opposed', outcome: 'deactivated' }
          : { remoteState: 'absent', outcome: 'nothing-to-deactivate-unknown-at-router' }
      }
      case 'delete-card': {
        const answer = await this.deleteCard(work.escn)
        return { remoteState: 'absent', outcome: answer === 'deleted' ? 'card-deleted' : 'card-already-absent' }
      }
      case 'delete-card-then-person': {
        await this.deleteCard(work.escn)
        if (work.esi === undefined) return { remoteState: 'absent', outcome: 'card-deleted-no-esi' }
        const removed = await this.deletePersonUnlessActiveElsewhere(work.esi)
        return removed
          ? { remoteState: 'absent', remoteHolder: null, outcome: 'card-and-person-deleted' }
          : { remoteState: 'absent', outcome: 'card-deleted-person-kept' }
      }
      case 'delete-person': {
        if (work.escn !== undefined) await this.deleteCard(work.escn)
        const answer = await this.#port.deletePerson(work.esi, this.#context)
        await this.#context.record({ operation: 'DELETE person', person: this.personRef(work.esi), reason: 'consent withdrawn', result: answer })
        return { remoteState: 'absent', remoteHolder: null, outcome: 'person-deleted-consent-withdrawn' }
      }
    }
  }

  async deleteCard (escn: string): Promise<EscDeleteOutcome> {
    const answer = await this.#port.deleteCard(escn, this.#context)
    await this.#context.record({ operation: 'DELETE card', escn, result: answer })
    return answer
  }

  /** Deletes the person unless another of the holder's cards still keeps them; returns whether it did. */
  async deletePersonUnlessActiveElsewhere (esi: string): Promise<boolean> {
    const others = (await this.#holders.cardsOf(this.#record.holder.eppn))
      .filter((other) => other.card.id !== this.#record.card.id && isEscActive(other))
    if (others.length > 0) {
      await this.#context.record({ operation: 'DELETE person', person: this.personRef(esi), result: 'kept', activeCards: others.length })
      return false
    }
    const answer = await this.#port.deletePerson(esi, this.#context)
    await this.#context.record({ operation: 'DELETE person', person: this.personRef(esi), result: answer })
    return true
  }
}
