import type { Dispatcher } from 'undici'

/**
 * One HTTP exchange of the REST transport with the rules every outbound call keeps: redirects never
 * followed (credentials would go along), the answer's body capped, one overall deadline (an
 * AbortSignal) covering connection, headers and body. Every outcome is a value, never a throw.
 */

export interface HttpRequest {
  origin: string
  path: string
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  headers: Record<string, string>
  body?: string
}

export interface HttpAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** The body as text (UTF-8); '' when there was none. */
  text: string
}

export type HttpOutcome =
  | { ok: true, answer: HttpAnswer }
  /** `timeout`: the deadline passed; `too-large`: the body went past the cap; `network`: no answer (`code` says why). */
  | { ok: false, reason: 'timeout' | 'too-large' | 'network', code: string }

export async function boundedRequest (dispatcher: Dispatcher, request: HttpRequest, limits: { signal: AbortSignal, maxBodyBytes: number }): Promise<HttpOutcome> {
  const { signal, maxBodyBytes } = limits
  if (signal.aborted) return { ok: false, reason: 'timeout', code: 'TIMEOUT' }
  // maxRedirections 0 also switches off a redirect interceptor an injected dispatcher may carry.
  const options: Dispatcher.RequestOptions & { maxRedirections: number } = {
    origin: request.origin,
    path: request.path,
    method: request.method,
    headers: request.headers,
    body: request.body ?? null,
    signal,
    maxRedirections: 0,
  }
  let response: Dispatcher.ResponseData
  try {
    response = await dispatcher.request(options)
  } catch (error) {
    return failureOf(error, signal)
  }
  const declared = Number(headerValue(response.headers, 'content-length'))
  if (Number.isFinite(declared) && declared > maxBodyBytes) {
    response.body.destroy()
    return { ok: false, reason: 'too-large', code: 'BODY_TOO_LARGE' }
  }
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > maxBodyBytes) {
        response.body.destroy()
        return { ok: false, reason: 'too-large', code: 'BODY_TOO_LARGE' }
      }
      chunks.push(chunk)
    }
  } catch (error) {
    return failureOf(error, signal)
  }
  return { ok: true, answer: { status: response.statusCode, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') } }
}

export function headerValue (headers: HttpAnswer['headers'], name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** An AbortSignal that fires after `ms`, or when `outer` does. */
export function deadlineSignal (ms: number, outer?: AbortSignal): AbortSignal {
  const own = AbortSignal.timeout(ms)
  return outer === undefined ? own : AbortSignal.any([own, outer])
}

function failureOf (error: unknown, signal: AbortSignal): HttpOutcome {
  if (signal.aborted) return { ok: false, reason: 'timeout', code: 'TIMEOUT' }
  const code = (error as { code?: unknown } | null)?.code
  const name = typeof code === 'string' ? code : 'NETWORK_ERROR'
  // undici's own connect/headers/body timeouts are timeouts too.
  if (name === 'UND_ERR_CONNECT_TIMEOUT' || name === 'UND_ERR_HEADERS_TIMEOUT' || name === 'UND_ERR_BODY_TIMEOUT') return { ok: false, reason: 'timeout', code: name }
  return { ok: false, reason: 'network', code: name }
}
