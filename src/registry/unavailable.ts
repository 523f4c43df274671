/**
 * Telling "Redis cannot serve now" (a 503 with Retry-After: send again later) from "something is wrong"
 * (a 500 with an error log: a bug, a corrupt record, a Lua error). Only the first may ever be answered
 * "resend": resending never fixes the second.
 */

/** Replies Redis gives while it cannot serve: loading, busy with a script, failing over, full (noeviction). */
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|OOM)\b/

const UNAVAILABLE_MESSAGES = [
  'Command timed out', // ioredis commandTimeout: a stalled server or a partition
  'Connection is closed.',
  "Stream isn't writeable and enableOfflineQueue options is false",
  'Reached the max retries per request limit',
]

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED'])

/** A deadline of ours passed before Redis answered. */
export class RedisDeadlineError extends Error {
  constructor (what: string, ms: number) {
    super(`${what}: no answer from Redis within ${ms} ms`)
    this.name = 'RedisDeadlineError'
  }
}

/** Whether `error` means Redis could not serve the request (now), as opposed to a failure of the request itself. */
export function isRedisUnavailable (error: unknown): boolean {
  if (error instanceof RedisDeadlineError) return true
  if (!(error instanceof Error)) return false
  const { name, message } = error
  const code = (error as { code?: unknown }).code
  if (name === 'MaxRetriesPerRequestError') return true
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true
  if (UNAVAILABLE_MESSAGES.some((text) => message.startsWith(text))) return true
  if (name === 'ReplyError' && UNAVAILABLE_REPLIES.test(message)) return true
  // A pipeline or MULTI reports the first command's failure wrapped; look inside once.
  const cause = (error as { cause?: unknown }).cause
  return cause !== undefined && cause !== error && isRedisUnavailable(cause)
}

/**
 * `promise`, or a RedisDeadlineError once `ms` have passed. What was sent still runs (the connection's
 * own command timeout ends it); a late outcome is observed so that it is never an unhandled rejection.
 */
export async function withDeadline<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new RedisDeadlineError(what, ms)), ms)
    timer.unref()
  })
  promise.catch(() => {})
  try {
    return await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
  }
}
