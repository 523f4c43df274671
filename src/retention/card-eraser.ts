import type { Redis } from 'ioredis'
import type { CardRecord } from '../domain/card-record.ts'
import type { DownstreamName } from '../domain/downstream.ts'
import { LANES } from '../domain/downstream.ts'
import { jobIdFor } from '../queue/lanes.ts'
import type { SyncQueues } from '../queue/sync-queues.ts'
import type { RegistryKeys } from '../registry/keys.ts'
import { defineRetentionCommands, type RetentionCommands } from './scripts.ts'

export type ErasureMode = 'retention' | 'request'

/** Why erase-cards.lua left everything as it was. */
export type ErasureRefusal = 'changed' | 'pending' | 'busy' | 'active' | 'kept'

export type ErasureOutcome =
  | { status: 'erased', cards: number }
  | { status: ErasureRefusal, cardId: string, downstream: DownstreamName | undefined }

export interface CardEraserOptions {
  redis: Redis
  keys: RegistryKeys
  downstreams: readonly DownstreamName[]
  queues: SyncQueues
  /** A job that could not be removed (taken by a worker meanwhile); default: nothing. */
  onJobLeft?: (cardId: string, downstream: DownstreamName, error: unknown) => void
}

/**
 * Erases the personal data of some cards of one holder in one script (scripts/erase-cards.lua: all or
 * nothing, checked again inside Redis), then removes the cards' BullMQ jobs left behind (failed ones:
 * a job in flight is pending work, which the script refuses). `records` are the cards as read.
 */
export class CardEraser {
  readonly #redis: Redis & RetentionCommands
  readonly #options: CardEraserOptions

  constructor (options: CardEraserOptions) {
    this.#redis = defineRetentionCommands(options.redis)
    this.#options = options
  }

  async erase (mode: ErasureMode, eppn: string, records: readonly CardRecord[], options: { nowMs: number, cutoffMs?: number, extraKeys?: readonly string[] }): Promise<ErasureOutcome> {
    const { keys, downstreams } = this.#options
    const extraKeys = options.extraKeys ?? []
    const keyList: string[] = [keys.holderCards(eppn), ...downstreams.map((downstream) => keys.holderLease(downstream, eppn))]
    const args: Array<string | number> = [mode, options.nowMs, options.cutoffMs ?? 0, downstreams.length, ...downstreams, records.length]
    for (const record of records) {
      const cardId = record.card.id
      keyList.push(keys.card(cardId), keys.timeline(cardId), keys.erased(cardId))
      for (const downstream of downstreams) {
        keyList.push(keys.activity(downstream, cardId), keys.sync(downstream, cardId), keys.lease(downstream, cardId), keys.dirty(downstream), keys.attention(downstream))
      }
      const indexes = [
        record.card.csn === undefined ? undefined : keys.index('csn', record.card.csn),
        record.card.crous?.idZdc === undefined ? undefined : keys.index('idZdc', record.card.crous.idZdc),
        record.card.escn === undefined ? undefined : keys.index('escn', record.card.escn),
      ].filter((key) => key !== undefined)
      keyList.push(...indexes)
      args.push(cardId, String(record.version), record.occurredAtMs, indexes.length)
    }
    keyList.push(...extraKeys)
    args.push(extraKeys.length)
    const [status, detail, downstream] = await this.#redis.leoEraseCards(keyList.length, ...keyList, ...args)
    if (status !== 'erased') {
      return { status: status as ErasureRefusal, cardId: String(detail), downstream: downstream === '' || downstream === undefined ? undefined : downstream as DownstreamName }
    }
    for (const record of records) await this.#removeJobs(record.card.id)
    return { status: 'erased', cards: Number(detail) }
  }

  /** The card's jobs left in the queues (failed ones keep their hash, their logs and their failure reason). */
  async #removeJobs (cardId: string): Promise<void> {
    for (const downstream of this.#options.downstreams) {
      for (const lane of LANES) {
        try {
          await this.#options.queues.queue(downstream, lane).remove(jobIdFor(cardId))
        } catch (error) {
          // A job taken by a worker since the check: it finds no card and ends, removed on completion.
          this.#options.onJobLeft?.(cardId, downstream, error)
        }
      }
    }
  }
}
