/**
 * A downstream call failed. `transient` tells the queue what to do: retry with back-off, or stop and
 * ask a human. Each downstream judges its own failures (izly/fault-classification.ts, esc/failure.ts):
 * a network error, a timeout, 5xx, 408 and 429 are transient for both.
 *
 * `doubtful`: transient for a bounded time only (DOUBTFUL_FAULT_MAX_MS), then "needs attention" with the
 * same code. For answers that may be a passing state or a lasting one, where retrying forever would hide
 * a human's problem and parking at once would strand every card: a 200 that is not the operation's
 * answer (a proxy's maintenance page), a refused credential (401/403: a token being rotated, or expired).
 *
 * `outage`: the failure says the downstream is not serving (it counts towards opening its breaker); a
 * permanent fault never does, nor does our own trouble (UNEXPECTED) or a wait for another card (HOLDER_BUSY).
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
  readonly doubtful: boolean
  readonly outage: boolean

  constructor (options: {
    downstream: string
    code: string
    message: string
    transient: boolean
    httpStatus?: number
    retryAfterMs?: number
    field?: string
    /** Transient only for a bounded time; implies transient. @defaultValue false */
    doubtful?: boolean
    /** Counts towards the downstream's breaker. @defaultValue transient */
    outage?: boolean
    cause?: unknown
  }) {
    super(options.message, { cause: options.cause })
    this.name = 'DownstreamError'
    this.downstream = options.downstream
    this.code = options.code
    this.doubtful = options.doubtful === true
    this.transient = options.transient || this.doubtful
    this.outage = options.outage ?? this.transient
    this.httpStatus = options.httpStatus
    this.retryAfterMs = options.retryAfterMs
    this.field = options.field
  }
}
