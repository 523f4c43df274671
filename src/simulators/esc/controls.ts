import { createHash } from 'node:crypto'
import { SimulatorControls } from '../controls.ts'
import { ScriptedFaults } from '../scripted-faults.ts'
import { checkEscScriptedFault, type EscScriptedFaultInput } from './fault-script.ts'
import { EscRouterState, type EscStateDump, type SimulatedPerson } from './state.ts'

/**
 * What the simulator recorded of a router call: the card number and a hash of the ESI
 * (`simulatedPersonRef`), never the ESI, a name or an e-mail.
 */
export interface EscRecordedCall {
  /** The operationId of openapi/esc-router-v2.yaml (`create`, `update_1`…), or `unknown`. */
  operation: string
  method: string
  /** Epoch milliseconds. */
  at: number
  correlationId: string | undefined
  httpStatus: number
  /** The `code` of an error answer, or `outage` for a call refused by an outage. */
  code?: string
  /** Whether the request matched the document (a request answered 400 for it did not). */
  valid: boolean
  escn?: string
  /** simulatedPersonRef of the ESI in the path or the body. */
  person?: string
  /** cardStatusType of a card body. */
  cardStatusType?: string
}

/**
 * The simulator's own short reference to a person in its call log (the router's side, so unkeyed; the
 * gateway's timeline uses its keyed `personRef`). Case-insensitive, as ESIs are.
 */
export function simulatedPersonRef (esi: string): string {
  return createHash('sha256').update(esi.toLowerCase()).digest('hex').slice(0, 12)
}

/** Everything a test or a fault drill can change in the ESC simulator, beyond the common switches. */
export class EscSimulatorControls extends SimulatorControls<EscScriptedFaultInput, EscRecordedCall> {
  readonly state = new EscRouterState()
  readonly faults = new ScriptedFaults<EscScriptedFaultInput>(checkEscScriptedFault)

  /** A person another organisation registered (answers `SE-0000` to this one). */
  seedPerson (esi: string, organisationIdentifier: string): SimulatedPerson {
    if (typeof esi !== 'string' || esi === '') throw new TypeError('esi must be a string')
    if (typeof organisationIdentifier !== 'string' || !/^[0-9]{9}$/.test(organisationIdentifier)) throw new TypeError('organisationIdentifier must be a 9-digit PIC')
    return this.state.seedPerson(esi, organisationIdentifier)
  }

  dumpState (): EscStateDump {
    return this.state.dump()
  }

  /** Back to an empty router: no persons, cards, faults, calls, outage or latency. */
  override reset (): void {
    this.state.reset()
    super.reset()
  }
}
