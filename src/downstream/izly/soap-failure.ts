import { parseRetryAfter } from '../retry-after.ts'
import type { IzlyFailure } from './fault-classification.ts'
import { textOf } from './soap-mapping.ts'

/**
 * Reads what went wrong out of a node-soap error. node-soap lets axios accept every HTTP status, so
 * an HTTP error arrives as a parse error carrying `response`, a SOAP fault as one carrying the parsed
 * envelope in `root`, and a network failure as a bare axios error with a `code`.
 */
export function readSoapFailure (error: unknown, timeoutMs: number): IzlyFailure {
  const failure = error as SoapErrorShape | null | undefined
  // axios cut the answer at maxContentLength: its status is on the request it was reading.
  if (failure?.code === 'ERR_BAD_RESPONSE' && /maxContentLength/.test(String(failure.message))) {
    return { kind: 'invalid-response', status: failure.request?.res?.statusCode ?? 0, reason: 'too-large' }
  }
  const fault = failure?.root?.Envelope?.Body?.Fault
  const status = failure?.response?.status
  if (fault !== undefined && fault !== null && typeof fault === 'object') {
    const detail = readIzlyFaultDetail(fault.detail ?? fault.Detail)
    if (detail !== undefined) return detail
    return { kind: 'soap-fault', faultcode: textOf(fault.faultcode) ?? 'Server', transportStatus: status ?? 500 }
  }
  if (typeof status === 'number') {
    if (status >= 300 && status < 400) return { kind: 'invalid-response', status, reason: 'redirect' }
    if (status < 400) return { kind: 'invalid-response', status }
    const retryAfterMs = parseRetryAfter(headerOf(failure?.response?.headers, 'retry-after'))
    return retryAfterMs === undefined ? { kind: 'http', status } : { kind: 'http', status, retryAfterMs }
  }
  const code = typeof failure?.code === 'string' ? failure.code : undefined
  // ERR_CANCELED: the call's AbortSignal.timeout fired; ECONNABORTED/ETIMEDOUT: axios' own timeouts.
  if (code === 'ERR_CANCELED' || code === 'ECONNABORTED' || code === 'ETIMEDOUT') return { kind: 'timeout', afterMs: timeoutMs }
  return { kind: 'network', code: code ?? 'NETWORK_ERROR' }
}

interface SoapErrorShape {
  code?: unknown
  message?: unknown
  request?: { res?: { statusCode?: number } }
  root?: { Envelope?: { Body?: { Fault?: Record<string, unknown> | null } } }
  response?: { status?: number, headers?: unknown }
}

function readIzlyFaultDetail (detail: unknown): IzlyFailure | undefined {
  const izlyFault = (detail as { IzlyFault?: Record<string, unknown> } | undefined)?.IzlyFault
  if (izlyFault === undefined || izlyFault === null || typeof izlyFault !== 'object') return undefined
  const httpStatus = Number(textOf(izlyFault.httpStatus))
  if (!Number.isInteger(httpStatus)) return undefined
  const field = textOf(izlyFault.field)
  return {
    kind: 'izly-fault',
    httpStatus,
    code: textOf(izlyFault.code) ?? '',
    message: textOf(izlyFault.message) ?? '',
    ...(field === undefined ? {} : { field }),
    retryable: textOf(izlyFault.retryable) === 'true' || textOf(izlyFault.retryable) === '1',
  }
}

function headerOf (headers: unknown, name: string): string | undefined {
  if (headers === null || typeof headers !== 'object') return undefined
  const value = (headers as Record<string, unknown>)[name]
  return typeof value === 'string' ? value : undefined
}
