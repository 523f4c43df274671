import type { DownstreamName } from '../../domain/downstream.ts'
import type { AttentionEntry } from '../../registry/attention.ts'

/** Which "needs attention" entries an operator asks for: every criterion optional. */
export interface AttentionFilter {
  downstream?: DownstreamName
  code?: string
  /** Only entries that entered the list at least / at most this long ago. */
  minAgeSeconds?: number
  maxAgeSeconds?: number
}

export const DEFAULT_PAGE_SIZE = 100
export const MAX_PAGE_SIZE = 1000

/** A query string's filter, or the name of the parameter that is wrong and why. */
export function readAttentionFilter (query: Record<string, unknown>, downstreams: readonly DownstreamName[]): { filter: AttentionFilter } | { error: string, status: 400 | 404 } {
  const filter: AttentionFilter = {}
  const { downstream, code } = query
  if (downstream !== undefined && downstream !== '') {
    if (typeof downstream !== 'string' || !(downstreams as readonly string[]).includes(downstream)) return { status: 404, error: `downstream must be one of ${downstreams.join(', ')}` }
    filter.downstream = downstream as DownstreamName
  }
  if (typeof code === 'string' && code !== '') {
    if (code.length > 64) return { status: 400, error: 'code: at most 64 characters' }
    filter.code = code
  }
  for (const name of ['minAgeSeconds', 'maxAgeSeconds'] as const) {
    const raw = query[name]
    if (raw === undefined || raw === '') continue
    if (typeof raw !== 'string' || !/^\d{1,10}$/.test(raw)) return { status: 400, error: `${name}: a whole number of seconds` }
    filter[name] = Number(raw)
  }
  return { filter }
}

export function isEmptyFilter (filter: AttentionFilter): boolean {
  return filter.downstream === undefined && filter.code === undefined && filter.minAgeSeconds === undefined && filter.maxAgeSeconds === undefined
}

/** Entries matching the age bounds (downstream and code are applied by the registry's read). */
export function matchesAge (entry: AttentionEntry, filter: AttentionFilter, nowMs: number): boolean {
  const ageSeconds = (nowMs - Date.parse(entry.at)) / 1000
  if (filter.minAgeSeconds !== undefined && !(ageSeconds >= filter.minAgeSeconds)) return false
  if (filter.maxAgeSeconds !== undefined && !(ageSeconds <= filter.maxAgeSeconds)) return false
  return true
}

/** The order of the work queue: oldest first, then by downstream and card (a total order, for the cursor). */
export function compareEntries (a: AttentionEntry, b: AttentionEntry): number {
  return a.at < b.at ? -1 : a.at > b.at ? 1 : a.downstream < b.downstream ? -1 : a.downstream > b.downstream ? 1 : a.cardId < b.cardId ? -1 : a.cardId > b.cardId ? 1 : 0
}

type Position = Pick<AttentionEntry, 'at' | 'downstream' | 'cardId'>

/**
 * A page of the sorted entries after `cursor` (keyset: the position of the last entry of the page before).
 * Entries replayed or dismissed meanwhile shift nothing: no entry is skipped nor shown twice.
 */
export function pageOf (sorted: readonly AttentionEntry[], limit: number, cursor: Position | undefined): { entries: AttentionEntry[], nextCursor: string | null } {
  const start = cursor === undefined ? 0 : sorted.findIndex((entry) => compareEntries(entry, cursor as AttentionEntry) > 0)
  const entries = start === -1 ? [] : sorted.slice(start, start + limit)
  const last = entries.at(-1)
  const more = start !== -1 && start + limit < sorted.length
  return { entries, nextCursor: more && last !== undefined ? encodeCursor(last) : null }
}

export function encodeCursor (entry: Position): string {
  return Buffer.from(JSON.stringify([entry.at, entry.downstream, entry.cardId])).toString('base64url')
}

export function decodeCursor (raw: string): Position | undefined {
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown
    if (Array.isArray(value) && value.length === 3 && value.every((part) => typeof part === 'string')) {
      const [at, downstream, cardId] = value as [string, string, string]
      return { at, downstream: downstream as DownstreamName, cardId }
    }
  } catch {}
  return undefined
}

/** `limit` read as a page size: absent is the default; out of range is brought back within 1..MAX_PAGE_SIZE. */
export function pageSize (raw: unknown): number | undefined {
  if (raw === undefined || raw === '') return DEFAULT_PAGE_SIZE
  if (typeof raw !== 'string' || !/^\d{1,10}$/.test(raw)) return undefined
  return Math.min(Math.max(Number(raw), 1), MAX_PAGE_SIZE)
}
