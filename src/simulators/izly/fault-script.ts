import { isTransientStatus } from '../../downstream/izly/fault-classification.ts'
import { isIzlyOperation, type IzlyOperation } from '../../downstream/izly/wsdl-contract.ts'
import type { Scripted, ScriptedFaults } from '../scripted-faults.ts'
import type { SimulatedFault } from './state.ts'

/** REST operations of openapi/api-crous-v1.yaml a fault may name besides the WSDL's (POST and PUT are both UpsertRightHolder). */
export const REST_ONLY_OPERATIONS = ['CreateRightHolder', 'UpdateRightHolder', 'PatchSmartCard'] as const
/** The access server's token endpoint: only faults naming it reach it ('*' does not). */
export const TOKEN_OPERATION = 'Token'

/**
 * A fault to answer instead of doing the work. With a `code` it is what the API CROUS would have
 * answered: a SOAP fault carrying an IzlyFault, or a REST status with an `{"errors":[…]}` body; without
 * one, a bare HTTP status (an outage page, a rate limiter) on either face, e.g.
 * `{ operation: 'OpposeSmartCard', httpStatus: 429, retryAfterSeconds: 2 }`, or `{ operation: 'Token',
 * httpStatus: 503 }` for a token server that is down.
 */
export interface ScriptedFaultInput {
  /** An operation of the WSDL (either face), a REST-only operation, 'Token', or '*' for every API call. */
  operation: IzlyOperation | (typeof REST_ONLY_OPERATIONS)[number] | typeof TOKEN_OPERATION | '*'
  httpStatus: number
  code?: string
  message?: string
  field?: string
  /** Defaults to what the status says: true for 5xx, 408, 429, 401 and 403. */
  retryable?: boolean
  /** Sent as Retry-After with a bare HTTP status. */
  retryAfterSeconds?: number
  /** Only calls about this right holder. */
  identifier?: string
  /** Only calls about this card. */
  idZdc?: string
  /** Only the next N matching calls; forever when absent. */
  times?: number
}

export type ScriptedAnswer =
  | { kind: 'fault', fault: SimulatedFault }
  | { kind: 'http', status: number, retryAfterSeconds?: number }

/**
 * The answer scripted for a call to `operation` (a WSDL operation or 'Token'; `restOperation` the
 * REST face's own name of it) about `about`, if any; a fault with `times` is used up by it.
 */
export function takeScriptedAnswer (faults: ScriptedFaults<ScriptedFaultInput>, operation: string, about: { identifier?: string, idZdc?: string }, restOperation?: string): ScriptedAnswer | undefined {
  const fault = faults.take((candidate) =>
    (candidate.operation === operation || candidate.operation === restOperation || (candidate.operation === '*' && operation !== TOKEN_OPERATION)) &&
    (candidate.identifier === undefined || candidate.identifier === about.identifier) &&
    (candidate.idZdc === undefined || candidate.idZdc === about.idZdc))
  return fault === undefined ? undefined : answerOf(fault)
}

function answerOf (fault: Scripted<ScriptedFaultInput>): ScriptedAnswer {
  if (fault.code === undefined) {
    return fault.retryAfterSeconds === undefined
      ? { kind: 'http', status: fault.httpStatus }
      : { kind: 'http', status: fault.httpStatus, retryAfterSeconds: fault.retryAfterSeconds }
  }
  return {
    kind: 'fault',
    fault: {
      httpStatus: fault.httpStatus,
      code: fault.code,
      message: fault.message ?? `Scripted fault ${fault.code}`,
      ...(fault.field === undefined ? {} : { field: fault.field }),
      retryable: fault.retryable ?? isTransientStatus(fault.httpStatus),
    },
  }
}

/** Throws a TypeError naming the first bad field. */
export function checkScriptedFault (input: ScriptedFaultInput): void {
  if (input === null || typeof input !== 'object') throw new TypeError('a scripted fault is an object')
  const named = input.operation === '*' || input.operation === TOKEN_OPERATION || isIzlyOperation(input.operation) ||
    (REST_ONLY_OPERATIONS as readonly string[]).includes(input.operation)
  if (!named) throw new TypeError(`operation must be an operation of the WSDL, one of ${REST_ONLY_OPERATIONS.join(', ')}, "${TOKEN_OPERATION}" or "*"`)
  if (!Number.isInteger(input.httpStatus) || input.httpStatus < 400 || input.httpStatus > 599) throw new TypeError('httpStatus must be an integer from 400 to 599')
  for (const key of ['code', 'message', 'field', 'identifier', 'idZdc'] as const) {
    if (input[key] !== undefined && typeof input[key] !== 'string') throw new TypeError(`${key} must be a string`)
  }
  if (input.retryable !== undefined && typeof input.retryable !== 'boolean') throw new TypeError('retryable must be a boolean')
  if (input.retryAfterSeconds !== undefined && (!Number.isInteger(input.retryAfterSeconds) || input.retryAfterSeconds < 0)) {
    throw new TypeError('retryAfterSeconds must be a non-negative integer')
  }
}
