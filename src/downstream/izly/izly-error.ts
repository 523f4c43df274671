import { DownstreamError } from '../errors.ts'
import { maskPersonalData } from '../mask.ts'
import { classifyIzlyFailure, IZLY_ERROR_CODES, type IzlyFailure } from './fault-classification.ts'

/**
 * The DownstreamError an Izly failure calls for, the same from both transports: classified by
 * fault-classification.ts, worded for logs. `operation` names the call (`OpposeSmartCard`), never a
 * path or an argument (they hold identifiers). Never a `cause`: a node-soap error holds the request
 * envelope, an undici one the request (names, e-mail, credentials), and either would reach the logs.
 */
export function izlyError (operation: string, failure: IzlyFailure): DownstreamError {
  const verdict = classifyIzlyFailure(failure)
  const retryAfterMs = 'retryAfterMs' in failure ? failure.retryAfterMs : undefined
  return new DownstreamError({
    downstream: 'izly',
    code: verdict.code,
    message: `Izly ${operation} failed: ${describeFailure(failure)}`,
    transient: verdict.transient,
    ...(verdict.doubtful === true ? { doubtful: true } : {}),
    ...(verdict.httpStatus === undefined ? {} : { httpStatus: verdict.httpStatus }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(failure.kind === 'izly-fault' && failure.field !== undefined ? { field: failure.field } : {}),
  })
}

/** A 404 that Izly itself answered (an IzlyFault, an API CROUS body), not one from a proxy or a wrong path. */
export function isIzlyNotFound (failure: IzlyFailure): boolean {
  return failure.kind === 'izly-fault' && failure.httpStatus === 404
}

/** Izly answered this error code (`-9`, `-11`), whatever the HTTP status it came with. */
export function hasIzlyCode (failure: IzlyFailure, code: string): boolean {
  return failure.kind === 'izly-fault' && failure.code === code
}

/**
 * A message fit for logs: our words for known codes; for others Izly's own text, with what looks like
 * an e-mail, an INE or a date masked (names cannot be told apart, hence our words where we have them).
 */
function describeFailure (failure: IzlyFailure): string {
  switch (failure.kind) {
    case 'izly-fault': {
      const known = IZLY_ERROR_CODES[failure.code]
      const text = known ?? maskPersonalData(failure.message)
      return `HTTP ${failure.httpStatus} code ${failure.code || '-'}${text === '' ? '' : ` (${text})`}`
    }
    case 'soap-fault': return `SOAP fault ${failure.faultcode} (HTTP ${failure.transportStatus})`
    case 'http':
      return failure.status >= 300 && failure.status < 400
        ? `HTTP ${failure.status}, a redirect, not followed (credentials are never sent on): check the Izly URL`
        : `HTTP ${failure.status}`
    case 'network': return `network error ${failure.code}`
    case 'timeout': return `no answer within ${failure.afterMs} ms`
    case 'invalid-response':
      if (failure.reason === 'redirect') return `answered a redirect (HTTP ${failure.status}), not followed (the envelope and its credentials are never sent on): check IZLY_SOAP_URL`
      if (failure.reason === 'too-large') return `answer (HTTP ${failure.status || '?'}) over the size limit, not read further`
      return `answer is not the operation's (HTTP ${failure.status}${failure.detail === undefined ? '' : `, ${failure.detail}`})`
    case 'token': return `no API CROUS token: ${describeTokenFailure(failure.reason)}`
  }
}

function describeTokenFailure (reason: string): string {
  if (reason === 'HTTP_400' || reason === 'HTTP_401' || reason === 'HTTP_403') return `the token server refused the client credentials (${reason}): check IZLY_CLIENT_ID, IZLY_CLIENT_SECRET and IZLY_ACCESS_URL`
  if (reason === 'TIMEOUT') return 'the token server did not answer in time'
  if (reason === 'INVALID_RESPONSE') return 'the token server answered without an access_token'
  return `token server ${reason.startsWith('HTTP_') ? `answered ${reason}` : `unreachable (${reason})`}`
}
