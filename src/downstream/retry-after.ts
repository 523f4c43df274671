/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds from now. */
export function parseRetryAfter (value: string | undefined, nowMs = Date.now()): number | undefined {
  const trimmed = value?.trim()
  if (trimmed === undefined || trimmed === '') return undefined
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const at = Date.parse(trimmed)
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs)
}
