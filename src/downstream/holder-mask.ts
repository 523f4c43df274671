import type { CardRecord } from '../domain/card-record.ts'
import { esiFromIne } from '../domain/esc-identifiers.ts'
import { DownstreamError } from './errors.ts'
import { maskPersonalData } from './mask.ts'

/**
 * A downstream's error text echoes what it was sent, and a name cannot be told from other words by its
 * shape. So before a fault's text, code or field goes anywhere (log line, timeline, attention list,
 * BullMQ job), every value the gateway itself holds about the card's holder is masked in it, in any
 * letter case and with or without accents; then whatever still looks like an e-mail, an INE, an ESI or
 * a date (mask.ts). The downstream's fault code and HTTP status stay readable.
 *
 * Returns the same DownstreamError with its text, code and field masked: a new error, so that no stack
 * trace (BullMQ keeps one per failed attempt) holds the original text.
 */
export function maskedFault (fault: DownstreamError, record: CardRecord): DownstreamError {
  const values = holderValues(record)
  const mask = (text: string): string => maskPersonalData(maskValues(text, values))
  return new DownstreamError({
    downstream: fault.downstream,
    // A code is kept as sent unless it holds one of the values (it names a metric series too).
    code: maskValues(fault.code, values).slice(0, 64),
    message: mask(fault.message),
    transient: fault.transient,
    ...(fault.doubtful ? { doubtful: true } : {}),
    outage: fault.outage,
    ...(fault.httpStatus === undefined ? {} : { httpStatus: fault.httpStatus }),
    ...(fault.retryAfterMs === undefined ? {} : { retryAfterMs: fault.retryAfterMs }),
    ...(fault.field === undefined ? {} : { field: mask(fault.field) }),
  })
}

interface HolderValues {
  /** Each value whole. */
  whole: string[]
  /** The parts of the names. */
  words: string[]
}

/** Values shorter than this are masked only as whole words ("Li" must not eat "Link"); longer ones anywhere. */
const SHORT_WORD = 4

function holderValues (record: CardRecord): HolderValues {
  const holder = record.holder
  const whole = new Set<string>()
  const add = (value: string | undefined): void => {
    if (value === undefined || value.trim().length < 2) return
    whole.add(value)
    // A value echoed inside a URL or a query string.
    whole.add(encodeURIComponent(value))
  }
  for (const value of [holder.eppn, holder.email, holder.ine, holder.esi, holder.crousIdentifier, holder.escPerson?.email, holder.escPerson?.fullName]) add(value)
  if (holder.ine !== undefined) add(esiFromIne(holder.ine))
  for (const day of [holder.birthDate, holder.dueDate?.slice(0, 10)]) {
    const match = day === undefined ? null : /^(\d{4})-(\d{2})-(\d{2})$/.exec(day)
    if (match === null) continue
    const [, year, month, dayOfMonth] = match as unknown as [string, string, string, string]
    for (const form of [`${year}-${month}-${dayOfMonth}`, `${dayOfMonth}/${month}/${year}`, `${dayOfMonth}.${month}.${year}`, `${dayOfMonth}-${month}-${year}`, `${year}${month}${dayOfMonth}`]) add(form)
  }
  const words = new Set<string>()
  for (const name of [holder.firstName, holder.lastName, holder.escPerson?.fullName]) {
    if (name === undefined || name.trim() === '') continue
    add(name)
    for (const part of name.split(/[\s'’\-.,]+/u)) if (part.length >= 2) words.add(part)
    // `D'Arcy` also comes back as `DArcy` or `DARCY`.
    for (const part of name.split(/[\s\-]+/u)) {
      const joined = part.replace(/['’.]/gu, '')
      if (joined.length >= 2) words.add(joined)
    }
  }
  if (holder.firstName !== undefined && holder.lastName !== undefined) add(`${holder.firstName} ${holder.lastName}`)
  return { whole: [...whole], words: [...words] }
}

/** Case and accents do not matter: `Éloïse`, `ELOISE` and `eloise` are one name. */
function fold (text: string): { folded: string, origin: number[] } {
  let folded = ''
  const origin: number[] = []
  let index = 0
  for (const char of text) {
    const plain = char.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()
    for (let i = 0; i < plain.length; i++) origin.push(index)
    folded += plain
    index += char.length
  }
  origin.push(index)
  return { folded, origin }
}

const WORD_CHAR = /[\p{L}\p{N}]/u

function maskValues (text: string, values: HolderValues): string {
  if (text === '') return text
  const { folded, origin } = fold(text)
  const ranges: Array<[number, number]> = []
  const find = (value: string, wordOnly: boolean): void => {
    const needle = fold(value).folded
    if (needle.length < 2) return
    for (let at = folded.indexOf(needle); at !== -1; at = folded.indexOf(needle, at + 1)) {
      const end = at + needle.length
      if (wordOnly && (WORD_CHAR.test(folded[at - 1] ?? '') || WORD_CHAR.test(folded[end] ?? ''))) continue
      ranges.push([origin[at] as number, origin[end] as number])
    }
  }
  for (const value of [...values.whole, ...values.words]) find(value, fold(value).folded.length < SHORT_WORD)
  if (ranges.length === 0) return text
  ranges.sort((a, b) => a[0] - b[0])
  let masked = ''
  let cursor = 0
  for (const [start, end] of ranges) {
    if (end <= cursor) continue
    masked += text.slice(cursor, Math.max(cursor, start)) + (start >= cursor ? '<holder>' : '')
    cursor = end
  }
  return masked + text.slice(cursor)
}
