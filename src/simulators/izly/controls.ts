import { IZLY_ACCOUNT_STATUSES, IZLY_BLOCKING_STATUSES } from '../../downstream/izly/port.ts'
import { SimulatorControls } from '../controls.ts'
import { ScriptedFaults } from '../scripted-faults.ts'
import { checkScriptedFault, type ScriptedFaultInput } from './fault-script.ts'
import { type CardSeed, type HolderPatch, IzlyState, type IzlyStateDump, type SimulatedCard, type SimulatedHolder } from './state.ts'
import { SimulatedTokens, type TokenSettings } from './tokens.ts'

/**
 * What the simulator recorded of a call, SOAP or REST: the keys of what it was about and what it
 * answered, never a name, an e-mail, a birth date or an INE field.
 */
export interface RecordedCall extends CallSummary {
  /**
   * The WSDL operation, whichever face was called (a REST POST or PUT of a holder is `UpsertRightHolder`,
   * a card PATCH `OpposeSmartCard` or `RevalidateSmartCard`), `Token` for the token endpoint, or `unknown`.
   */
  operation: string
  /** Which face was called, and (REST) with which HTTP method. */
  transport: 'soap' | 'rest'
  method?: string
  /** REST only: the operationId of openapi/api-crous-v1.yaml, and whether the request matched the document. */
  restOperation?: string
  valid?: boolean
  /** Epoch milliseconds. */
  at: number
  correlationId: string | undefined
  /** 200, or the status of the fault or bare HTTP answer. */
  httpStatus: number
  /** The `result` of a success (`OPPOSED`, `ALREADY_REGISTERED`...). */
  result?: string
  /** The Izly code of a fault (`-9`, `HTTP_404`), or `outage` for a call refused by an outage. */
  code?: string
}

export interface CallSummary {
  identifier?: string
  idZdc?: string
  uid?: string
  reason?: string
}

/** Everything a test or a fault drill can change in the Izly simulator, beyond the common switches. */
export class IzlySimulatorControls extends SimulatorControls<ScriptedFaultInput, RecordedCall> {
  readonly state: IzlyState
  readonly faults = new ScriptedFaults<ScriptedFaultInput>(checkScriptedFault)
  /** The API CROUS access server's tokens (REST face). */
  readonly tokens: SimulatedTokens

  constructor (tokens: TokenSettings, now: () => number = Date.now) {
    super()
    this.state = new IzlyState(now)
    this.tokens = new SimulatedTokens(tokens, now)
  }

  lockHolder (identifier: string): SimulatedHolder {
    return this.patchHolder(identifier, { locked: true })
  }

  unlockHolder (identifier: string): SimulatedHolder {
    return this.patchHolder(identifier, { locked: false })
  }

  /** Creates or changes a right holder, flags included (locked, closed, otherRne, deleted). */
  patchHolder (identifier: string, patch: HolderPatch): SimulatedHolder {
    checkHolderPatch(patch)
    return structuredClone(this.state.patchHolder(identifier, patch))
  }

  /** Puts a card as is, opposed or not, bypassing the rules (its owner is created when unknown). */
  putCard (seed: CardSeed): SimulatedCard {
    checkCardSeed(seed)
    return structuredClone(this.state.putCard(seed))
  }

  dumpState (): IzlyStateDump {
    return this.state.dump()
  }

  /** Every token issued so far stops working (the next REST call with one gets a 401). */
  revokeTokens (): void {
    this.tokens.revokeAll()
  }

  /** expires_in of the tokens issued from now on. */
  setTokenTtl (seconds: number): void {
    this.tokens.setTtl(seconds)
  }

  /** Back to an empty simulator: no holders, cards, faults, calls, tokens, outage or latency. */
  override reset (): void {
    this.state.reset()
    this.tokens.reset()
    super.reset()
  }
}

function checkHolderPatch (patch: HolderPatch): void {
  if (patch === null || typeof patch !== 'object') throw new TypeError('a holder patch is an object')
  for (const key of ['locked', 'closed', 'otherRne', 'deleted'] as const) {
    if (patch[key] !== undefined && typeof patch[key] !== 'boolean') throw new TypeError(`${key} must be a boolean`)
  }
  if (patch.accountStatus !== undefined && !(IZLY_ACCOUNT_STATUSES as readonly string[]).includes(patch.accountStatus)) {
    throw new TypeError(`accountStatus must be one of ${IZLY_ACCOUNT_STATUSES.join(', ')}`)
  }
  if (patch.blockingStatus !== undefined && !(IZLY_BLOCKING_STATUSES as readonly string[]).includes(patch.blockingStatus)) {
    throw new TypeError(`blockingStatus must be one of ${IZLY_BLOCKING_STATUSES.join(', ')}`)
  }
  if (patch.rightHolder !== undefined && (patch.rightHolder === null || typeof patch.rightHolder !== 'object')) {
    throw new TypeError('rightHolder must be an object')
  }
}

function checkCardSeed (seed: CardSeed): void {
  if (seed === null || typeof seed !== 'object') throw new TypeError('a card is an object')
  if (typeof seed.owner !== 'string' || seed.owner === '') throw new TypeError('owner must be a right holder identifier')
  const card = seed.smartCard
  if (card === null || typeof card !== 'object') throw new TypeError('smartCard must be an object')
  if (typeof card.idZdc !== 'string' || !/^[0-9]{1,15}$/.test(card.idZdc)) throw new TypeError('smartCard.idZdc must be 1 to 15 digits')
  if (typeof card.uid !== 'string') throw new TypeError('smartCard.uid must be a string')
  if (seed.reason !== undefined && !['DP', 'DV', 'CD', 'HS'].includes(seed.reason)) throw new TypeError('reason must be DP, DV, CD or HS')
}
