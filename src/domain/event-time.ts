/**
 * SGC event times (SPEC §3): RFC 3339 date-times read exactly, as the intake schema accepts them
 * (`T`, `t` or a space; `Z`, `z`, `±hh`, `±hhmm` or `±hh:mm`; any fraction), with a leap second
 * (`:60`) read as the last millisecond of its minute. `Date.parse` reads `…T23:59:60Z` as NaN, and NaN
 * switches the ordering of a card's events off: that is why none of the gateway's ordering uses it.
 * Pure: no clock.
 */

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/

interface Parts {
  ms: number
  date: string
  hour: string
  minute: string
  second: string
  fraction: string
  offset: string
}

function read (text: string): Parts | undefined {
  const match = DATE_TIME.exec(text)
  if (match === null) return undefined
  const [, y, mo, d, h, mi, s, fraction = '', zulu, sign, tzH = '00', tzM = '00'] = match as unknown as string[]
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number]
  const offsetMinutes = zulu !== undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(tzH) * 60 + Number(tzM))
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 60 || Number(tzH) > 23 || Number(tzM) > 59) return undefined
  const leap = second === 60
  const at = new Date(0)
  at.setUTCFullYear(year, month - 1, day)
  at.setUTCHours(hour, minute, leap ? 59 : second, leap ? 999 : Number(fraction.slice(0, 3).padEnd(3, '0')))
  return {
    ms: at.getTime() - offsetMinutes * 60_000,
    date: `${y ?? ''}-${mo ?? ''}-${d ?? ''}`,
    hour: h ?? '',
    minute: mi ?? '',
    second: leap ? '59' : s ?? '',
    fraction: leap ? '.999' : fraction === '' ? '' : `.${fraction}`,
    offset: zulu !== undefined ? 'Z' : `${sign ?? '+'}${tzH}:${tzM}`,
  }
}

/** Epoch milliseconds of an RFC 3339 date-time, or undefined when it is not one. */
export function parseEventTime (text: string): number | undefined {
  return read(text)?.ms
}

/**
 * The same instant written the canonical way, keeping the sender's offset: `T`, `Z` or `±hh:mm`, and a
 * leap second as `:59.999`, so that what is stored and sent on (a `cancelDate` at Izly, an xs:dateTime,
 * which has no second 60) reads the same everywhere. Undefined when the text is not a date-time.
 */
export function canonicalEventTime (text: string): string | undefined {
  const parts = read(text)
  return parts === undefined ? undefined : `${parts.date}T${parts.hour}:${parts.minute}:${parts.second}${parts.fraction}${parts.offset}`
}

function daysIn (year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return [4, 6, 9, 11].includes(month) ? 30 : 31
}
