import { parseRetryAfter } from '../retry-after.ts'
import type { IzlyFailure } from './fault-classification.ts'
import { headerValue, type HttpAnswer, type HttpOutcome } from './rest-http.ts'
import { isJson } from './rest-mapping.ts'

/**
 * Reads what went wrong out of an API CROUS answer; fault-classification.ts judges it. An error body
 * `{"errors":[{code, message, field}]}` is the API speaking (its first element decides, as in
 * ESUP-SGC); so is a 404 with no body. Any other error answer (an HTML page, a gateway's own JSON, a
 * redirect) keeps only its status: a 404 from a proxy or a wrong IZLY_API_URL path is then never taken
 * for "unknown holder" or "nothing to oppose".
 */
export function readRestFailure (answer: HttpAnswer): IzlyFailure {
  const retryAfterMs = parseRetryAfter(headerValue(answer.headers, 'retry-after'))
  const retry = retryAfterMs === undefined ? {} : { retryAfterMs }
  const first = firstError(answer.text)
  if (first !== undefined) {
    return {
      kind: 'izly-fault',
      httpStatus: answer.status,
      code: first.code,
      message: first.message,
      ...(first.field === undefined ? {} : { field: first.field }),
      retryable: false,
      ...retry,
    }
  }
  if (answer.status === 404 && answer.text.trim() === '') return { kind: 'izly-fault', httpStatus: 404, code: '', message: '', retryable: false }
  return { kind: 'http', status: answer.status, ...retry }
}

/** A request that got no answer: the deadline, a connection failure, or a body past the cap. */
export function readNoAnswer (outcome: Extract<HttpOutcome, { ok: false }>, deadlineMs: number): IzlyFailure {
  switch (outcome.reason) {
    case 'timeout': return { kind: 'timeout', afterMs: deadlineMs }
    case 'too-large': return { kind: 'invalid-response', status: 200, detail: 'body larger than the cap', reason: 'too-large' }
    case 'network': return { kind: 'network', code: outcome.code }
  }
}

/** A 2xx whose body is an HTML page (a login portal, a proxy's page): not an API CROUS answer. */
export function isHtmlPage (answer: HttpAnswer): boolean {
  const type = headerValue(answer.headers, 'content-type') ?? ''
  return /text\/html/i.test(type) || /^\s*<(!doctype|html)/i.test(answer.text)
}

export function parseJson (text: string): unknown {
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

function firstError (text: string): { code: string, message: string, field?: string } | undefined {
  const json = parseJson(text)
  if (!isJson(json) || !Array.isArray(json.errors)) return undefined
  const first: unknown = json.errors[0]
  if (!isJson(first)) return { code: '', message: '' }
  const code = typeof first.code === 'number' ? String(first.code) : typeof first.code === 'string' ? first.code.trim() : ''
  const field = typeof first.field === 'string' && first.field !== '' ? first.field : undefined
  return { code, message: typeof first.message === 'string' ? first.message : '', ...(field === undefined ? {} : { field }) }
}
