/**
 * A downstream call failed. `transient` tells the queue what to do: retry with back-off, or stop and
 * ask a human. Each downstream judges its own failures (izly/fault-classification.ts, esc/failure.ts):
 * a network error, a timeout, 5xx, 408 and 429 are transient for both; a 401/403 is for Izly (an
 * expired credential), not for the ESC Router (a wrong token, which no retry changes).
 */
export class DownstreamError extends Error {
  readonly downstream: string
  /** Downstream's own code when it gave one (Izly `-42`, router `ER-0019`), else `HTTP_<status>` or a network code. */
  readonly code: string
  readonly transient: boolean
  readonly httpStatus: number | undefined
  /** Server-requested delay before the next try (Retry-After), in milliseconds. */
  readonly retryAfterMs: number | undefined
  readonly field: string | undefined

  constructor (options: {
    downstream: string
    code: string
    message: string
    transient: boolean
    httpStatus?: number
    retryAfterMs?: number
    field?: string
    cause?: unknown
  }) {
    super(options.message, { cause: options.cause })
    this.name = 'DownstreamError'
    this.downstream = options.downstream
    this.code = options.code
    this.transient = options.transient
    this.httpStatus = options.httpStatus
    this.retryAfterMs = options.retryAfterMs
    this.field = options.field
  }
}
