import { sameEsi } from '../../domain/esc-identifiers.ts'
import type { Scripted, ScriptedFaults } from '../scripted-faults.ts'

/** The operationIds of openapi/esc-router-v2.yaml (a test keeps this list and the document in step). */
export const ESC_OPERATIONS = [
  'findAll', 'create', 'findByExternalId', 'update', 'delete',
  'findAll_1', 'create_1', 'getEscnList', 'findByExternalId_1', 'update_1', 'delete_1', 'status',
] as const

/**
 * An answer to give instead of doing the work. With a `code` it is the router's `{code, message}`
 * body; without one, a bare status with a text body (a proxy page, a rate limiter), e.g.
 * `{ operation: 'create_1', httpStatus: 429, retryAfterSeconds: 2 }`.
 */
export interface EscScriptedFaultInput {
  /** An operationId of openapi/esc-router-v2.yaml (ESC_OPERATIONS), or '*' for all. A 3xx redirects elsewhere. */
  operation: string
  httpStatus: number
  code?: string
  message?: string
  /** Sent as Retry-After. */
  retryAfterSeconds?: number
  /** Only calls about this person (compared case-insensitively). */
  esi?: string
  /** Only calls about this card. */
  escn?: string
  /** Only the next N matching calls; forever when absent. */
  times?: number
}

/** The scripted answer for a call to `operation` about `about`, if any (used up when counted). */
export function takeScriptedFault (faults: ScriptedFaults<EscScriptedFaultInput>, operation: string, about: { esi?: string, escn?: string }): Scripted<EscScriptedFaultInput> | undefined {
  return faults.take((fault) =>
    (fault.operation === '*' || fault.operation === operation) &&
    (fault.esi === undefined || (about.esi !== undefined && sameEsi(fault.esi, about.esi))) &&
    (fault.escn === undefined || fault.escn === about.escn))
}

/** Throws a TypeError naming the first bad field. */
export function checkEscScriptedFault (input: EscScriptedFaultInput): void {
  if (input === null || typeof input !== 'object') throw new TypeError('a scripted fault is an object')
  if (input.operation !== '*' && !(ESC_OPERATIONS as readonly string[]).includes(input.operation)) {
    throw new TypeError(`operation must be "*" or one of ${ESC_OPERATIONS.join(', ')}`)
  }
  if (!Number.isInteger(input.httpStatus) || input.httpStatus < 300 || input.httpStatus > 599) throw new TypeError('httpStatus must be an integer from 300 to 599')
  for (const key of ['code', 'message', 'esi', 'escn'] as const) {
    if (input[key] !== undefined && typeof input[key] !== 'string') throw new TypeError(`${key} must be a string`)
  }
  if (input.retryAfterSeconds !== undefined && (!Number.isInteger(input.retryAfterSeconds) || input.retryAfterSeconds < 0)) {
    throw new TypeError('retryAfterSeconds must be a non-negative integer')
  }
}
