/**
 * Which Izly failures are worth retrying (izly-crous.md §4, SPEC §6), for both transports. Pure: each
 * client reads a failure off the wire (soap-failure.ts, rest-failure.ts), this file judges it.
 */

/** An Izly call that did not succeed, as read off the wire. */
export type IzlyFailure =
  /**
   * What the API CROUS itself answered: a SOAP fault carrying our IzlyFault detail, or a REST error
   * status with an `{"errors":[{code, message, field}]}` body (or a 404 with an empty body).
   */
  | { kind: 'izly-fault', httpStatus: number, code: string, message: string, field?: string, retryable: boolean, retryAfterMs?: number }
  /** A SOAP fault without an IzlyFault detail (a SOAP stack or a security layer answered). */
  | { kind: 'soap-fault', faultcode: string, transportStatus: number }
  /** An HTTP error status without a SOAP fault (a proxy, an outage page, a rate limiter). */
  | { kind: 'http', status: number, retryAfterMs?: number }
  /** No answer: connection refused or reset, DNS, TLS. */
  | { kind: 'network', code: string }
  | { kind: 'timeout', afterMs: number }
  /**
   * An answer that is not the operation's (not the WSDL's envelope, not the JSON the API returns); a
   * redirect (never followed) or a body over the size cap among them.
   */
  | { kind: 'invalid-response', status: number, detail?: string, reason?: 'redirect' | 'too-large' }
  /**
   * The API CROUS token server did not give a token (`reason`: HTTP_<status>, a network code, TIMEOUT or
   * INVALID_RESPONSE). Every call needs one: always transient; a refusal of the client credentials
   * (400/401/403, or an answer without a token) only for DOUBTFUL_FAULT_MAX_MS, as any refused credential.
   */
  | { kind: 'token', reason: string, httpStatus?: number, retryAfterMs?: number }

export interface IzlyFailureVerdict {
  transient: boolean
  /**
   * Transient for a bounded time only (DownstreamError.doubtful): a refused credential (401/403, a
   * WS-Security fault, a token server refusing the client credentials), a 2xx that is not the answer.
   */
  doubtful?: boolean
  /** The Izly code when it gave one (`-42`), else `HTTP_<status>`, `SOAP_<faultcode>`, `TIMEOUT`, `INVALID_RESPONSE`, `TOKEN_<reason>` or a network code. */
  code: string
  httpStatus?: number
}

/** Izly error codes of izly-crous.md §4: all are permanent (a human or a data fix is needed). */
export const IZLY_ERROR_CODES: Readonly<Record<string, string>> = {
  '-8': 'due date past',
  '-9': 'card already invalidated',
  '-11': 'right holder already exists',
  '-31': 'card known but right holder deleted (GDPR)',
  '-41': 'right holder in opposition',
  '-42': 'unknown right holder',
  '-117': 'right holder anonymised',
}

/** Opposing a card that is already opposed: success for the gateway. */
export const IZLY_ALREADY_OPPOSED = '-9'

/** Creating a right holder CROUS already has ("Client existant"): read it and update it instead. */
export const IZLY_RIGHT_HOLDER_EXISTS = '-11'

/** "Client inconnu": no right holder under the key asked about; an opposition tries the holder's next key. */
export const IZLY_UNKNOWN_HOLDER = '-42'

/**
 * 401/403 mean an expired or rotated credential (ESUP-SGC re-authenticates and retries), 408 and
 * 429 ask to come back later, 5xx is Izly's own trouble. Every other status is a verdict on the request.
 */
export function isTransientStatus (status: number): boolean {
  return status >= 500 || status === 401 || status === 403 || status === 408 || status === 429
}

export function classifyIzlyFailure (failure: IzlyFailure): IzlyFailureVerdict {
  switch (failure.kind) {
    case 'izly-fault':
      return {
        // retryable can only add to the status rule: a 5xx stays worth retrying whatever the flag says.
        transient: failure.retryable || isTransientStatus(failure.httpStatus),
        ...(isCredentialStatus(failure.httpStatus) ? { doubtful: true } : {}),
        code: failure.code !== '' ? failure.code : `HTTP_${failure.httpStatus}`,
        httpStatus: failure.httpStatus,
      }
    case 'soap-fault':
      return {
        transient: isTransientSoapFault(failure.faultcode, failure.transportStatus),
        ...(isSecurityFault(failure.faultcode) || isCredentialStatus(failure.transportStatus) ? { doubtful: true } : {}),
        code: `SOAP_${localName(failure.faultcode)}`,
        httpStatus: failure.transportStatus,
      }
    case 'http':
      return { transient: isTransientStatus(failure.status), ...(isCredentialStatus(failure.status) ? { doubtful: true } : {}), code: `HTTP_${failure.status}`, httpStatus: failure.status }
    case 'network':
      return { transient: true, code: failure.code }
    case 'timeout':
      return { transient: true, code: 'TIMEOUT' }
    case 'invalid-response':
      // A redirect (never followed) or an answer over the size cap is the wrong address: nothing a retry changes.
      if (failure.reason !== undefined) return { transient: false, code: 'INVALID_RESPONSE', httpStatus: failure.status }
      // A proxy's maintenance page served with 200 passes; a lasting one needs a human (doubtful).
      return { transient: true, doubtful: true, code: 'INVALID_RESPONSE', httpStatus: failure.status }
    case 'token':
      return {
        transient: true,
        // The token server refusing the client credentials (or answering without a token) is a credential
        // problem: retried for a bounded time, then a human looks. Down, 5xx or slow: an outage, unbounded.
        ...(isRefusedCredentials(failure.reason) ? { doubtful: true } : {}),
        code: `TOKEN_${failure.reason}`,
        ...(failure.httpStatus === undefined ? {} : { httpStatus: failure.httpStatus }),
      }
  }
}

/** 401/403: an expired or rotated credential, or a wrong one: retried, but only for a bounded time. */
function isCredentialStatus (status: number): boolean {
  return status === 401 || status === 403
}

/** What a token server says when it will not give this client a token: 400 (invalid_client), 401, 403, or a 2xx without one. */
function isRefusedCredentials (reason: string): boolean {
  return reason === 'HTTP_400' || reason === 'HTTP_401' || reason === 'HTTP_403' || reason === 'INVALID_RESPONSE'
}

/** WS-Security failures (wsse:FailedAuthentication, wsse:InvalidSecurityToken...) are credential trouble. */
function isSecurityFault (faultcode: string): boolean {
  return /authentication|security|token/i.test(localName(faultcode))
}

function isTransientSoapFault (faultcode: string, transportStatus: number): boolean {
  // SOAP 1.1 sends every fault with 500, so only another status says something on its own.
  if (transportStatus !== 500 && isTransientStatus(transportStatus)) return true
  const name = localName(faultcode)
  if (isSecurityFault(faultcode)) return true
  // soap:Client says the request itself is wrong; soap:Server and anything else may pass later.
  return !/^client\b/i.test(name)
}

function localName (qname: string): string {
  const colon = qname.indexOf(':')
  return colon === -1 ? qname : qname.slice(colon + 1)
}
