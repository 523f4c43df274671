/**
 * ESUP-SGC writes its JVM's local wall-clock time followed by a literal `Z` (`dueDate`, `cancelDate`,
 * `revalidationDate`, `zdcCreationDate`; esup-sgc-dropin.md §2.2), and reads dates back dropping any
 * offset. The façade reads those values as local time in SGC_TIME_ZONE, and writes dates back the same
 * way, so that what ESUP-SGC compares is what it wrote. Pure: no I/O.
 */

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/

const partsFormats = new Map<string, Intl.DateTimeFormat>()

function partsFormat (timeZone: string): Intl.DateTimeFormat {
  let format = partsFormats.get(timeZone)
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    })
    partsFormats.set(timeZone, format)
  }
  return format
}

/** The wall clock of `ms` in `timeZone`, as epoch milliseconds of the same wall clock read as UTC. */
function wallClockMs (ms: number, timeZone: string): number {
  const parts: Record<string, number> = {}
  for (const part of partsFormat(timeZone).formatToParts(ms)) if (part.type !== 'literal') parts[part.type] = Number(part.value)
  return Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0) + (((ms % 1000) + 1000) % 1000)
}

/**
 * The instant ESUP-SGC meant by `value` (local time in `timeZone`, whatever offset or `Z` it carries),
 * as an ISO string in UTC; undefined for null, "" or what is not a date. A wall-clock time skipped by a
 * DST change reads as the instant one hour later; a repeated one as its second (standard-time) occurrence.
 */
export function readSgcLocalTime (value: unknown, timeZone: string): string | undefined {
  if (typeof value !== 'string') return undefined
  const match = LOCAL.exec(value.trim())
  if (match === null) return undefined
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '0'] = match
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(fraction.padEnd(3, '0').slice(0, 3)))
  // Date.UTC rolls a 13th month or a 45th day over into the next: such a value is no date.
  const check = new Date(wall)
  if (Number.isNaN(wall) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined
  // Two rounds find the offset in force at the instant itself (it differs from the guess near a DST change).
  let instant = wall - (wallClockMs(wall, timeZone) - wall)
  instant = wall - (wallClockMs(instant, timeZone) - instant)
  const date = new Date(instant)
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}

/** `instant` (any form Date.parse reads) as ESUP-SGC writes dates: local wall clock in `timeZone`, `.SSS`, a literal `Z`. */
export function writeSgcLocalTime (instant: string, timeZone: string): string | undefined {
  const ms = Date.parse(instant)
  if (Number.isNaN(ms)) return undefined
  return new Date(wallClockMs(ms, timeZone)).toISOString()
}
