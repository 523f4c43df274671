import type { CrousCardData, Holder } from './card-event.ts'
import type { CardRecord } from './card-record.ts'
import type { DisableReason } from './card-state.ts'
import type { SyncRecord } from './sync-record.ts'

/** CNOUS opposition reasons (izly-crous.md §3.4): déclaration de perte, de vol, carte défectueuse, hors service. */
export type IzlyOppositionReason = 'DP' | 'DV' | 'CD' | 'HS'

const REASON_BY_MOTIF: Record<DisableReason, IzlyOppositionReason> = {
  LOST: 'DP',
  THEFT: 'DV',
  OUT_OF_ORDER: 'CD',
}

export function oppositionReason (state: string, motif: DisableReason | undefined): IzlyOppositionReason {
  if (state === 'DISABLED' && motif !== undefined) return REASON_BY_MOTIF[motif]
  return 'HS'
}

export interface IzlyRightHolder {
  identifier: string
  firstName?: string
  lastName?: string
  email?: string
  dueDate?: string
  idCompanyRate?: number
  idRate?: number
  birthDate?: string
  ine?: string
  rneOrgCode?: string
}

export interface IzlySmartCard extends CrousCardData {
  uid: string
}

export type IzlyWork =
  | { kind: 'none', outcome: string, remoteState?: 'opposed' }
  /**
   * `holderKeys`: where to look the right holder up at CROUS, in order: the gateway's key (`identifier`),
   * then the key the card was registered under and the eppn, so that a holder known under an older key
   * gets its key patched rather than a second account (right-holder-plan.ts decides).
   */
  | { kind: 'enable', identifier: string, holderKeys: string[], rightHolder: IzlyRightHolder, smartCard: IzlySmartCard, revalidationDate: string }
  /**
   * `identifiers`: the right-holder keys to try, in order, until one knows the card: the key the card was
   * registered under, then the holder's current CROUS key, then the other keys ESUP-SGC looks holders up by.
   * A holder's key can change after registration (a crousIdentifier arrives, IZLY_INE_AS_IDENTIFIER is
   * switched, the card was registered by ESUP-SGC itself): one 404 must not pass for "nothing to oppose".
   */
  | { kind: 'oppose', identifiers: string[], idZdc: string, uid: string, reason: IzlyOppositionReason, cancelDate: string }

export interface IzlyPlanOptions {
  /** CROUS_INE_AS_IDENTIFIER in ESUP-SGC: key the right holder by INE when no crousIdentifier is held. */
  ineAsIdentifier: boolean
}

/** The CROUS right-holder key: crousIdentifier, else the INE when configured, else the eppn (SPEC §3). */
export function crousIdentifier (holder: Holder, options: IzlyPlanOptions): string {
  if (holder.crousIdentifier) return holder.crousIdentifier
  if (options.ineAsIdentifier && holder.ine) return holder.ine
  return holder.eppn
}

/**
 * What Izly needs so that it matches the card's desired state (SPEC §4, Izly column). Pure: the
 * worker calls it with the record read when the job runs, so it always acts on the latest state.
 * Opposition never depends on consent or on the right-holder sync.
 */
export function planIzly (record: CardRecord, confirmed: SyncRecord, options: IzlyPlanOptions): IzlyWork {
  const { card, holder } = record
  if (card.external === true) return { kind: 'none', outcome: 'skipped-external-card' }
  switch (card.state) {
    case 'ENABLED': {
      if (holder.consents?.crous !== true) return { kind: 'none', outcome: 'skipped-no-crous-consent' }
      if (card.crous === undefined) return { kind: 'none', outcome: 'skipped-no-crous-data' }
      if (card.csn === undefined) return { kind: 'none', outcome: 'skipped-no-csn' }
      const identifier = crousIdentifier(holder, options)
      return {
        kind: 'enable',
        identifier,
        holderKeys: distinctKeys([identifier, confirmed.remoteHolder, holder.eppn]),
        rightHolder: rightHolderOf(identifier, holder),
        smartCard: { ...card.crous, uid: card.csn },
        revalidationDate: record.occurredAt,
      }
    }
    case 'DISABLED':
    case 'CADUC':
    case 'DESTROYED': {
      if (card.crous === undefined) return { kind: 'none', outcome: 'nothing-to-oppose-no-crous-data' }
      // DESTROYED opposes "unless it already is"; DISABLED/CADUC always re-assert (idempotent at Izly).
      if (card.state === 'DESTROYED' && confirmed.remoteState === 'opposed') {
        return { kind: 'none', outcome: 'already-opposed', remoteState: 'opposed' }
      }
      return {
        kind: 'oppose',
        identifiers: oppositionIdentifiers(holder, confirmed, options),
        idZdc: card.crous.idZdc,
        uid: card.csn ?? '',
        reason: oppositionReason(card.state, card.disableReason),
        cancelDate: record.occurredAt,
      }
    }
    default:
      return { kind: 'none', outcome: 'no-izly-work-for-state' }
  }
}

/** Distinct keys in ESUP-SGC's lookup order (crousIdentifier, eppn, INE), the registered one first. */
function oppositionIdentifiers (holder: Holder, confirmed: SyncRecord, options: IzlyPlanOptions): string[] {
  const keys = [confirmed.remoteHolder, crousIdentifier(holder, options), holder.crousIdentifier, holder.eppn, holder.ine]
  return [...new Set(keys.filter((key): key is string => key !== undefined && key !== ''))]
}

function distinctKeys (keys: Array<string | undefined>): string[] {
  return [...new Set(keys.filter((key): key is string => key !== undefined && key !== ''))]
}

function rightHolderOf (identifier: string, holder: Holder): IzlyRightHolder {
  const rightHolder: IzlyRightHolder = { identifier }
  const copy = ['firstName', 'lastName', 'email', 'dueDate', 'idCompanyRate', 'idRate', 'birthDate', 'ine', 'rneOrgCode'] as const
  for (const key of copy) {
    const value = holder[key]
    if (value !== undefined) (rightHolder as unknown as Record<string, unknown>)[key] = value
  }
  return rightHolder
}
