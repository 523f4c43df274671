import type { Dispatcher } from 'undici'

/**
 * One outbound HTTP call on undici that trusts the other side as little as possible: redirects are
 * never followed (credentials and holder data would go along to whatever `Location` names), the
 * response body is read up to `maxBytes` and no further, and the whole call (connect, headers, body)
 * has one deadline, whatever phase is slow. Every undici client of the gateway goes through it (ESC
 * Router, the router's public status, the API CROUS REST client).
 */
export interface ResponseLimits {
  /** Largest response body read, in bytes; a longer one is cut and refused. */
  maxBytes: number
  /** The whole call, milliseconds. */
  deadlineMs: number
}

export interface BoundedResponse {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

/** The answer's body is over `ResponseLimits.maxBytes`: read no further. */
export class ResponseTooLargeError extends Error {
  readonly code = 'RESPONSE_TOO_LARGE'
  readonly statusCode: number
  readonly limitBytes: number
  constructor (statusCode: number, limitBytes: number) {
    super(`the answer (HTTP ${statusCode}) is over ${limitBytes} bytes`)
    this.name = 'ResponseTooLargeError'
    this.statusCode = statusCode
    this.limitBytes = limitBytes
  }
}

/** No complete answer within `ResponseLimits.deadlineMs`. */
export class DeadlineExceededError extends Error {
  readonly code = 'DEADLINE_EXCEEDED'
  readonly deadlineMs: number
  constructor (deadlineMs: number, options?: ErrorOptions) {
    super(`no complete answer within ${deadlineMs} ms`, options)
    this.name = 'DeadlineExceededError'
    this.deadlineMs = deadlineMs
  }
}

/**
 * Sends `options` on `dispatcher` and reads the whole answer within `limits`. Throws
 * ResponseTooLargeError, DeadlineExceededError, or undici's own error for a failure to connect.
 * A 3xx is returned like any other status: the caller decides what it means (never "follow it").
 */
export async function boundedRequest (dispatcher: Dispatcher, options: Dispatcher.RequestOptions, limits: ResponseLimits): Promise<BoundedResponse> {
  const deadline = AbortSignal.timeout(limits.deadlineMs)
  const signal = options.signal === undefined || options.signal === null ? deadline : AbortSignal.any([deadline, options.signal as AbortSignal])
  // maxRedirections 0 also switches off a redirect interceptor an injected dispatcher may carry.
  const request: Dispatcher.RequestOptions & { maxRedirections: number } = { ...options, signal, maxRedirections: 0 }
  try {
    const response = await dispatcher.request(request)
    const declared = Number(response.headers['content-length'])
    if (Number.isFinite(declared) && declared > limits.maxBytes) {
      response.body.destroy()
      throw new ResponseTooLargeError(response.statusCode, limits.maxBytes)
    }
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length
      if (size > limits.maxBytes) {
        response.body.destroy()
        throw new ResponseTooLargeError(response.statusCode, limits.maxBytes)
      }
      chunks.push(chunk as Buffer)
    }
    return { statusCode: response.statusCode, headers: response.headers, body: Buffer.concat(chunks, size) }
  } catch (error) {
    if (deadline.aborted && !(error instanceof ResponseTooLargeError)) throw new DeadlineExceededError(limits.deadlineMs, { cause: error })
    throw error
  }
}
