import type { IzlyOppositionReason, IzlyRightHolder, IzlySmartCard } from '../../domain/izly-plan.ts'
import { isOpposed } from '../../downstream/izly/opposition.ts'
import { IZLY_RIGHT_HOLDER_EXISTS } from '../../downstream/izly/fault-classification.ts'
import type { IzlyAccountStatus, IzlyBlockingStatus } from '../../downstream/izly/port.ts'

/** An answer of the API CROUS other than success, as the simulator sends it in an IzlyFault. */
export interface SimulatedFault {
  httpStatus: number
  /** Izly code (`-42`), or `HTTP_<status>` where the API gives none. */
  code: string
  message: string
  field?: string
  retryable: boolean
}

export class IzlyFaultAnswer extends Error {
  readonly fault: SimulatedFault

  constructor (fault: SimulatedFault) {
    super(fault.message)
    this.name = 'IzlyFaultAnswer'
    this.fault = fault
  }
}

export interface SimulatedHolder {
  rightHolder: IzlyRightHolder
  accountStatus: IzlyAccountStatus
  blockingStatus: IzlyBlockingStatus
  /** 423 on every holder operation and on card registration and revalidation; never on opposition. */
  locked: boolean
  /** Another institution holds the priority RNE: upserts answer 406. */
  otherRne: boolean
  /** Deleted for GDPR: card registration answers -31, upserts -117. */
  deleted: boolean
}

export interface SimulatedCard {
  owner: string
  smartCard: IzlySmartCard
  cancelDate?: string
  reason?: IzlyOppositionReason
  revalidationDate?: string
}

export interface HolderPatch {
  rightHolder?: Partial<IzlyRightHolder>
  accountStatus?: IzlyAccountStatus
  blockingStatus?: IzlyBlockingStatus
  locked?: boolean
  /** Sets accountStatus to CLOTURE (true) or ACTIF (false). */
  closed?: boolean
  otherRne?: boolean
  deleted?: boolean
}

export interface CardSeed {
  owner: string
  smartCard: IzlySmartCard
  cancelDate?: string
  reason?: IzlyOppositionReason
  revalidationDate?: string
}

export interface IzlyStateDump {
  holders: SimulatedHolder[]
  cards: SimulatedCard[]
}

/**
 * Right holders and cards as the API CROUS keeps them, with its rules (izly-crous.md §2–§4). Every
 * refusal throws an IzlyFaultAnswer. Opposition works whatever the holder's state: that is what the
 * gateway exists for; only a scripted fault stops it.
 */
export class IzlyState {
  readonly holders = new Map<string, SimulatedHolder>()
  /** By idZdc, the path key of the card resources. */
  readonly cards = new Map<string, SimulatedCard>()
  readonly now: () => number

  constructor (now: () => number = Date.now) {
    this.now = now
  }

  reset (): void {
    this.holders.clear()
    this.cards.clear()
  }

  getRightHolder (identifier: string): SimulatedHolder {
    const holder = this.requireHolder(identifier)
    if (holder.locked) throw locked()
    return holder
  }

  /** SOAP's UpsertRightHolder without a mode: an update (fields sent win, others kept) or a creation. */
  upsertRightHolder (rightHolder: IzlyRightHolder): 'CREATED' | 'UPDATED' {
    if (!this.holders.has(rightHolder.identifier)) return this.createRightHolder(rightHolder)
    return this.updateRightHolder(rightHolder.identifier, rightHolder, 'merge')
  }

  /** POST /rightholders: -11 when the identifier is taken. */
  createRightHolder (rightHolder: IzlyRightHolder): 'CREATED' {
    if (this.holders.has(rightHolder.identifier)) throw unprocessable(IZLY_RIGHT_HOLDER_EXISTS, 'Client existant')
    this.checkDueDate(rightHolder)
    this.holders.set(rightHolder.identifier, newHolder(rightHolder))
    return 'CREATED'
  }

  /**
   * PUT /rightholders/{identifier} (`replace`: the fields not sent are cleared), or SOAP's UPDATE
   * (`merge`: the fields not sent are kept). 404 when unknown; the holder's state may refuse it.
   */
  updateRightHolder (identifier: string, rightHolder: IzlyRightHolder, how: 'replace' | 'merge'): 'UPDATED' {
    const existing = this.requireHolder(identifier)
    if (existing.locked) throw locked()
    if (isClosed(existing)) throw locked('Account is closed')
    if (existing.otherRne) throw new IzlyFaultAnswer({ httpStatus: 406, code: 'HTTP_406', message: 'Le compte a un rne prioritaire qui est différent du rne proposé', retryable: false })
    if (existing.deleted) throw unprocessable('-117', 'Client anonymisé')
    if (existing.blockingStatus === 'MIS_EN_OPPOSITION') throw unprocessable('-41', 'Client en opposition')
    this.checkDueDate(rightHolder)
    existing.rightHolder = how === 'replace' ? { ...rightHolder, identifier } : { ...existing.rightHolder, ...rightHolder, identifier }
    return 'UPDATED'
  }

  /** PATCH /rightholders/{current}: the holder and its cards move to the new key. */
  patchIdentifier (currentIdentifier: string, newIdentifier: string): 'PATCHED' {
    const holder = this.requireHolder(currentIdentifier)
    if (holder.locked) throw locked()
    if (newIdentifier === currentIdentifier) return 'PATCHED'
    if (this.holders.has(newIdentifier)) throw unprocessable(IZLY_RIGHT_HOLDER_EXISTS, 'Client existant', 'newIdentifier')
    this.holders.delete(currentIdentifier)
    holder.rightHolder = { ...holder.rightHolder, identifier: newIdentifier }
    this.holders.set(newIdentifier, holder)
    for (const card of this.cards.values()) if (card.owner === currentIdentifier) card.owner = newIdentifier
    return 'PATCHED'
  }

  /** DELETE /closed-rightholders/{identifier}: a closed account is open again. */
  uncloseRightHolder (identifier: string): 'UNCLOSED' | 'NOT_CLOSED' {
    const holder = this.requireHolder(identifier)
    if (!isClosed(holder)) return 'NOT_CLOSED'
    holder.accountStatus = 'ACTIF'
    return 'UNCLOSED'
  }

  private checkDueDate (rightHolder: IzlyRightHolder): void {
    if (rightHolder.dueDate !== undefined && Date.parse(rightHolder.dueDate) < this.now()) {
      throw unprocessable('-8', 'Due date is in the past', 'dueDate')
    }
  }

  registerSmartCard (identifier: string, smartCard: IzlySmartCard): 'REGISTERED' | 'ALREADY_REGISTERED' {
    const holder = this.holders.get(identifier)
    if (holder === undefined) throw notFound('Right holder not found')
    if (isClosed(holder)) throw notFound('Account is closed')
    if (holder.deleted) throw unprocessable('-31', 'Card known but right holder deleted')
    if (holder.locked) throw locked()
    const existing = this.cards.get(smartCard.idZdc)
    if (existing !== undefined) {
      if (existing.owner === identifier) return 'ALREADY_REGISTERED'
      throw unprocessable('CARD_REGISTERED_TO_ANOTHER_HOLDER', 'Card already registered to another right holder', 'idZdc')
    }
    this.cards.set(smartCard.idZdc, { owner: identifier, smartCard: { ...smartCard } })
    return 'REGISTERED'
  }

  getSmartCard (identifier: string, idZdc: string): SimulatedCard {
    return this.requireCard(identifier, idZdc)
  }

  opposeSmartCard (identifier: string, idZdc: string, reason: IzlyOppositionReason, cancelDate: string): 'OPPOSED' {
    const card = this.requireCard(identifier, idZdc)
    if (isCardOpposed(card)) throw unprocessable('-9', 'Card already invalidated')
    card.cancelDate = cancelDate
    card.reason = reason
    delete card.revalidationDate
    return 'OPPOSED'
  }

  revalidateSmartCard (identifier: string, idZdc: string, revalidationDate: string): 'REVALIDATED' | 'NOT_OPPOSED' {
    const card = this.requireCard(identifier, idZdc)
    const holder = this.holders.get(card.owner)
    if (holder?.locked === true) throw locked()
    if (!isCardOpposed(card)) return 'NOT_OPPOSED'
    delete card.cancelDate
    delete card.reason
    card.revalidationDate = revalidationDate
    return 'REVALIDATED'
  }

  /** Creates the holder when unknown (its rightHolder fields then default to the identifier only). */
  patchHolder (identifier: string, patch: HolderPatch): SimulatedHolder {
    const holder = this.holders.get(identifier) ?? newHolder({ identifier })
    this.holders.set(identifier, holder)
    if (patch.rightHolder !== undefined) holder.rightHolder = { ...holder.rightHolder, ...patch.rightHolder, identifier }
    if (patch.accountStatus !== undefined) holder.accountStatus = patch.accountStatus
    if (patch.closed !== undefined) holder.accountStatus = patch.closed ? 'CLOTURE' : 'ACTIF'
    if (patch.blockingStatus !== undefined) holder.blockingStatus = patch.blockingStatus
    if (patch.locked !== undefined) holder.locked = patch.locked
    if (patch.otherRne !== undefined) holder.otherRne = patch.otherRne
    if (patch.deleted !== undefined) holder.deleted = patch.deleted
    return holder
  }

  /** Puts a card as is (its owner is created when unknown), whatever the rules would have said. */
  putCard (seed: CardSeed): SimulatedCard {
    if (!this.holders.has(seed.owner)) this.holders.set(seed.owner, newHolder({ identifier: seed.owner }))
    const card: SimulatedCard = { owner: seed.owner, smartCard: { ...seed.smartCard } }
    if (seed.cancelDate !== undefined) card.cancelDate = seed.cancelDate
    if (seed.reason !== undefined) card.reason = seed.reason
    if (seed.revalidationDate !== undefined) card.revalidationDate = seed.revalidationDate
    this.cards.set(seed.smartCard.idZdc, card)
    return card
  }

  dump (): IzlyStateDump {
    return structuredClone({ holders: [...this.holders.values()], cards: [...this.cards.values()] })
  }

  private requireHolder (identifier: string): SimulatedHolder {
    const holder = this.holders.get(identifier)
    if (holder === undefined) throw notFound('Right holder not found')
    return holder
  }

  /** The REST resource is /rightholders/{identifier}/smartcard/{idZdc}: another holder's card is not found. */
  private requireCard (identifier: string, idZdc: string): SimulatedCard {
    const card = this.cards.get(idZdc)
    if (card === undefined || card.owner !== identifier) throw notFound('Smart card not found')
    return card
  }
}

export function isCardOpposed (card: SimulatedCard): boolean {
  return isOpposed(card.cancelDate, card.revalidationDate)
}

function isClosed (holder: SimulatedHolder): boolean {
  return holder.accountStatus === 'CLOTURE' || holder.accountStatus === 'CLOTURE_EN_COURS'
}

function newHolder (rightHolder: IzlyRightHolder): SimulatedHolder {
  // ACTIF rather than NON_CONFIRME: the student's own activation is outside what the gateway drives.
  return { rightHolder: { ...rightHolder }, accountStatus: 'ACTIF', blockingStatus: 'NON_BLOQUE', locked: false, otherRne: false, deleted: false }
}

function notFound (message: string): IzlyFaultAnswer {
  return new IzlyFaultAnswer({ httpStatus: 404, code: 'HTTP_404', message, retryable: false })
}

function locked (message = 'Account is locked'): IzlyFaultAnswer {
  return new IzlyFaultAnswer({ httpStatus: 423, code: 'HTTP_423', message, retryable: false })
}

function unprocessable (code: string, message: string, field?: string): IzlyFaultAnswer {
  return new IzlyFaultAnswer({ httpStatus: 422, code, message, ...(field === undefined ? {} : { field }), retryable: false })
}
