/**
 * Capped exponential back-off with "equal jitter": half the delay is fixed, half random, so retries
 * from many cards spread out after an outage yet never wait longer than `maxMs`.
 * `attempt` counts from 1. A server's Retry-After is honoured when it asks for longer.
 */
export function retryDelayMs (attempt: number, baseMs: number, maxMs: number, retryAfterMs = 0, random = Math.random): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 40)
  const ceiling = Math.min(maxMs, baseMs * 2 ** exponent)
  const delay = Math.round(ceiling / 2 + random() * ceiling / 2)
  return Math.min(Math.max(delay, retryAfterMs), Math.max(maxMs, retryAfterMs))
}
