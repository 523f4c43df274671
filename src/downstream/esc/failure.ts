import { DownstreamError } from '../errors.ts'
import { maskPersonalData } from '../mask.ts'

/**
 * Which ESC Router answers are worth retrying (esc-router.md §5, SPEC §6). Pure: the client reads a
 * failure off the wire, this file judges it and words it.
 */

/** Router codes the gateway acts on (esc-router.md §5). */
export const ESC_PERSON_EXISTS = 'ER-0019'
export const ESC_CARD_EXISTS = 'ER-0002'

export type EscFailure =
  /** An HTTP error answer; `code` and `message` from the router's `{code, message}` body when it sent one. */
  | { kind: 'http', status: number, code?: string, message?: string, retryAfterMs?: number }
  /** A 3xx: never followed, as the token would go along. */
  | { kind: 'redirect', status: number, location?: string }
  /** No answer: connection refused or reset, DNS, TLS, or a timeout (`timeout` names which; `deadline`: the whole call). */
  | { kind: 'network', code: string, timeout?: 'connect' | 'headers' | 'body' | 'deadline' }
  /** An answer body over the client's cap: not read further, never taken for an answer. */
  | { kind: 'too-large', status: number, limitBytes: number }
  /** A request the gateway refuses to send: the router would refuse it too. */
  | { kind: 'local', code: string, field: string, message: string }
  /** A 2xx whose body is not the router's JSON (a proxy's maintenance page): not taken for success. */
  | { kind: 'invalid-response', status: number }

/**
 * 429 and 5xx are the router's own trouble or its rate limit, 408 asks to come back: retried. 401/403
 * (`SE-0000`: an expired or rotated token, the production allow-list, another organisation's person) are
 * retried for a bounded time only (doubtful), then a human looks. Every other status is a verdict on the request.
 */
export function isTransientEscStatus (status: number): boolean {
  return status >= 500 || status === 429 || status === 408
}

/** The DownstreamError a failure of `operation` (e.g. `POST person`; never a path, which may hold an ESI) calls for. */
export function escError (operation: string, failure: EscFailure): DownstreamError {
  switch (failure.kind) {
    case 'http': {
      const routerText = failure.message === undefined || failure.message === '' ? '' : ` (${maskPersonalData(failure.message)})`
      return new DownstreamError({
        downstream: 'esc',
        code: failure.code ?? `HTTP_${failure.status}`,
        message: `ESC Router ${operation} failed: HTTP ${failure.status}${failure.code === undefined ? '' : ` ${failure.code}`}${routerText}`,
        transient: isTransientEscStatus(failure.status),
        ...(failure.status === 401 || failure.status === 403 ? { doubtful: true } : {}),
        httpStatus: failure.status,
        ...(failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs }),
      })
    }
    case 'redirect':
      return new DownstreamError({
        downstream: 'esc',
        code: `HTTP_${failure.status}`,
        message: `ESC Router ${operation} answered a redirect${failure.location === undefined ? '' : ` to ${originOf(failure.location)}`}, not followed (the token is never sent on): check ESC_ROUTER_URL`,
        transient: false,
        httpStatus: failure.status,
      })
    case 'network':
      return new DownstreamError({
        downstream: 'esc',
        code: failure.timeout === undefined ? failure.code : 'TIMEOUT',
        message: `ESC Router ${operation} failed: ${failure.timeout === undefined ? `network error ${failure.code}` : failure.timeout === 'deadline' ? 'no complete answer within ESC_TIMEOUT_MS' : `no ${failure.timeout === 'connect' ? 'connection' : failure.timeout} within the timeout`}`,
        transient: true,
      })
    case 'too-large':
      // Nothing a retry would change: a router answer is a few KiB; this is not the router's API answering.
      return new DownstreamError({
        downstream: 'esc',
        code: 'RESPONSE_TOO_LARGE',
        message: `ESC Router ${operation} answered HTTP ${failure.status} with a body over ${failure.limitBytes} bytes, not read further: check ESC_ROUTER_URL`,
        transient: false,
        httpStatus: failure.status,
      })
    case 'invalid-response':
      return new DownstreamError({
        downstream: 'esc',
        code: 'INVALID_RESPONSE',
        message: `ESC Router ${operation}: HTTP ${failure.status} without the router's JSON answer (a proxy or maintenance page?); not taken for success`,
        transient: true,
        doubtful: true,
        httpStatus: failure.status,
      })
    case 'local':
      return new DownstreamError({
        downstream: 'esc',
        code: failure.code,
        message: `ESC Router ${operation} not sent: ${failure.field} ${failure.message}`,
        transient: false,
        field: failure.field,
      })
  }
}

/** Only the origin of a Location: its path could carry an identifier. */
function originOf (location: string): string {
  try {
    return new URL(location).origin
  } catch {
    return 'another address'
  }
}
