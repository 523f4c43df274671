import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { DownstreamName } from '../domain/downstream.ts'
import type { Registry } from '../registry/registry.ts'
import type { CardEraser } from './card-eraser.ts'
import type { HolderKeysHook } from './key-families.ts'
import { defineRetentionCommands, type RetentionCommands } from './scripts.ts'

const DAY_MS = 86_400_000

export interface RetentionPassOptions {
  redis: Redis
  registry: Registry
  eraser: CardEraser
  /** REDIS_PREFIX. */
  prefix: string
  downstreams: readonly DownstreamName[]
  logger: Logger
  /** TIMELINE_RETENTION_DAYS. */
  timelineDays: number
  /** ENDED_CARD_RETENTION_DAYS. */
  endedCardDays: number
  now?: () => number
  /** SCAN COUNT of one page: how many key slots one page looks at. Default 1000. */
  scanCount?: number
  /** Pages per step (each sweep runs one step). Default 10. */
  pagesPerStep?: number
  /** Keys other components keep about an ended card's holder (the ESC façade's person), erased with it. */
  extraHolderKeys?: HolderKeysHook
}

export interface RetentionReport {
  pages: number
  cards: number
  /** Timeline and activity lines dropped. */
  linesDropped: number
  /** Ended cards whose personal data went. */
  erased: number
  /** Whether this step finished a pass over every card (the next starts over). */
  passEnded: boolean
}

export interface RetentionPass {
  /** A few pages, from where the last step stopped (the cursor is kept in Redis): what each sweep runs. */
  step (): Promise<RetentionReport>
  /** A whole pass over every card from the start (tests, or by hand). */
  fullPass (): Promise<RetentionReport>
}

/**
 * Retention: timelines keep TIMELINE_RETENTION_DAYS, ended cards their personal data
 * ENDED_CARD_RETENTION_DAYS. It walks the card keys with SCAN in bounded pages, a few per sweep, and
 * judges each page inside Redis (scripts/retention-page.lua), so that it never holds Redis for long
 * whatever the number of cards; a whole pass over 300,000 cards takes some hours of sweeps, which
 * retention counted in days does not notice. The idempotency records need no pass: they are written
 * with their expiry (IDEMPOTENCY_RETENTION_DAYS).
 */
export function createRetentionPass (options: RetentionPassOptions): RetentionPass {
  const redis: Redis & RetentionCommands = defineRetentionCommands(options.redis)
  const { registry, eraser, prefix, downstreams } = options
  const keys = registry.keys
  const now = options.now ?? Date.now
  const scanCount = options.scanCount ?? 1000
  const pagesPerStep = options.pagesPerStep ?? 10
  const cursorKey = `${prefix}:retention:cursor`
  const cardPrefix = keys.card('')
  const pattern = `${escapeGlob(cardPrefix)}*`
  const log = options.logger.child({ component: 'retention' })

  async function page (cardIds: string[], report: RetentionReport): Promise<void> {
    const nowMs = now()
    const endedCutoffMs = nowMs - options.endedCardDays * DAY_MS
    const args: Array<string | number> = [cardPrefix, keys.timeline(''), downstreams.length]
    for (const downstream of downstreams) args.push(keys.sync(downstream, ''), keys.activity(downstream, ''))
    args.push(new Date(nowMs - options.timelineDays * DAY_MS).toISOString(), endedCutoffMs, ...cardIds)
    const [dropped, ...due] = await redis.leoRetentionPage(0, ...args)
    report.cards += cardIds.length
    report.linesDropped += Number(dropped)
    for (const cardId of due.map(String)) {
      const record = await registry.getCard(cardId)
      if (record === undefined) continue
      // What the façades keep about the holder goes with their last card only: another card still uses it.
      const othersLeft = (await registry.listHolderCards(record.holder.eppn)).some((other) => other.card.id !== cardId)
      const extraKeys = othersLeft ? [] : await options.extraHolderKeys?.({ eppn: record.holder.eppn, records: [record] }) ?? []
      const outcome = await eraser.erase('retention', record.holder.eppn, [record], { nowMs, cutoffMs: endedCutoffMs, extraKeys })
      if (outcome.status === 'erased') {
        report.erased++
        log.info({ cardId, state: record.card.state }, 'ended card: personal data erased (ENDED_CARD_RETENTION_DAYS)')
      }
    }
  }

  async function walk (from: string, maxPages: number): Promise<{ report: RetentionReport, cursor: string }> {
    const report: RetentionReport = { pages: 0, cards: 0, linesDropped: 0, erased: 0, passEnded: false }
    let cursor = from
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', scanCount)
      cursor = next
      report.pages++
      if (found.length > 0) await page(found.map((key) => key.slice(cardPrefix.length)), report)
    } while (cursor !== '0' && report.pages < maxPages)
    report.passEnded = cursor === '0'
    return { report, cursor }
  }

  return {
    async step () {
      const { report, cursor } = await walk(await redis.get(cursorKey) ?? '0', pagesPerStep)
      await redis.set(cursorKey, cursor)
      if (report.erased > 0 || report.linesDropped > 0) log.info({ ...report }, 'retention step')
      return report
    },
    async fullPass () {
      return (await walk('0', Number.POSITIVE_INFINITY)).report
    },
  }
}

/** SCAN's MATCH is a glob: a prefix with `*?[]\` in it must match itself only. */
function escapeGlob (text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}
