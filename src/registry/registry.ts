import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { CardEvent } from '../domain/card-event.ts'
import { type CardRecord, mergeEvent } from '../domain/card-record.ts'
import type { DownstreamName } from '../domain/downstream.ts'
import { NEVER_SYNCED, type RemoteCardState, type SyncRecord } from '../domain/sync-record.ts'
import { type IntakeResult, type IntakeService, RegistryUnavailableError } from '../intake/intake-service.ts'
import type { AttentionEntry } from './attention.ts'
import type { CardIdentifierKind, RegistryKeys } from './keys.ts'
import { defineRegistryCommands, type RegistryCommands } from './scripts.ts'
import { type TimelineEntry, timelineEntry } from './timeline.ts'
import { isRedisUnavailable } from './unavailable.ts'

export interface RegistryOptions {
  redis: Redis
  keys: RegistryKeys
  downstreams: readonly DownstreamName[]
  /** Entries kept per card timeline (oldest dropped first). Default 1000. */
  timelineCap?: number
  now?: () => number
}

export interface ConfirmRequest {
  downstream: DownstreamName
  cardId: string
  leaseToken: string
  version: number
  remoteState: RemoteCardState | undefined
  /** The key the downstream now holds the card's owner under; null: none any more; undefined: unchanged. */
  remoteHolder?: string | null
  outcome: string
  entry: TimelineEntry
}

/**
 * Where one downstream stands with one card: what the sync worker, its recheck and the sweeper decide on.
 * `behind`: the desired version is ahead of the confirmed one and no operator is awaited at that version.
 */
export type SyncStanding =
  | { status: 'no-card' | 'in-line' | 'needs-attention' }
  | { status: 'behind', record: CardRecord, confirmed: SyncRecord, attention: AttentionEntry | undefined }

/** How often intake re-merges when other events for the same card keep landing first. */
const MAX_INTAKE_ROUNDS = 50

/**
 * The card registry: each card's desired state and history, and per downstream what was confirmed.
 * Every multi-key write is one Lua script, so a crash never leaves half of it behind.
 */
export class Registry implements IntakeService {
  readonly keys: RegistryKeys
  readonly #redis: Redis & RegistryCommands
  readonly #downstreams: readonly DownstreamName[]
  readonly #timelineCap: number
  readonly #now: () => number

  constructor (options: RegistryOptions) {
    this.keys = options.keys
    this.#redis = defineRegistryCommands(options.redis)
    this.#downstreams = options.downstreams
    this.#timelineCap = options.timelineCap ?? 1000
    this.#now = options.now ?? Date.now
  }

  async accept (event: CardEvent, fingerprint: string): Promise<IntakeResult> {
    const cardId = event.card.id
    const fixedKeys = [this.keys.event(event.eventId), this.keys.card(cardId), this.keys.timeline(cardId),
      ...this.#downstreams.map((downstream) => this.keys.dirty(downstream))]
    try {
      for (let round = 0; round < MAX_INTAKE_ROUNDS; round++) {
        const current = await this.getCard(cardId)
        const acceptedAtMs = this.#now()
        const merge = mergeEvent(current, event, acceptedAtMs)
        const keys = merge.applied ? [...fixedKeys, this.keys.holderCards(merge.record.holder.eppn), ...this.#indexKeys(merge.record)] : fixedKeys
        const version = merge.applied ? merge.record.version : (current?.version ?? 0)
        const entry = timelineEntry('event', {
          eventId: event.eventId,
          occurredAt: event.occurredAt,
          state: event.card.state,
          disableReason: event.card.disableReason,
          applied: merge.applied,
          ...(merge.applied ? { version } : { ignoredBecause: 'older than the state held' }),
        }, acceptedAtMs)
        const [status, detail] = await this.#redis.leoIntake(keys.length, ...keys,
          fingerprint, cardId, String(current?.version ?? 0), merge.applied ? JSON.stringify(merge.record) : '',
          String(version), JSON.stringify(entry), acceptedAtMs, this.#timelineCap, this.#downstreams.length)
        if (status === 'accepted') return { status, eventId: event.eventId, cardId, version: Number(detail), applied: merge.applied }
        if (status === 'duplicate') return { status, eventId: event.eventId, cardId: detail }
        if (status === 'conflict') return { status, eventId: event.eventId }
      }
      // Contention, not a fault of the event: "send it again shortly" is the right answer.
      throw new RegistryUnavailableError(new Error(`card ${cardId}: intake kept losing the race to concurrent events`))
    } catch (error) {
      // Only unavailability is "send it again": a Lua error or a corrupt record is a 500 with an error log.
      if (error instanceof RegistryUnavailableError || !isRedisUnavailable(error)) throw error
      throw new RegistryUnavailableError(error)
    }
  }

  async getCard (cardId: string): Promise<CardRecord | undefined> {
    const json = await this.#redis.hget(this.keys.card(cardId), 'record')
    return json === null ? undefined : JSON.parse(json) as CardRecord
  }

  /**
   * The card an identifier belongs to. The index may point at a card that has since taken another
   * identifier (a CSN re-encoded): the record decides, so such a stale entry reads as unknown.
   */
  async findCard (kind: CardIdentifierKind, value: string): Promise<CardRecord | undefined> {
    const cardId = await this.#redis.get(this.keys.index(kind, value))
    if (cardId === null) return undefined
    const record = await this.getCard(cardId)
    return record !== undefined && identifierOf(record, kind) === value ? record : undefined
  }

  /**
   * Every card of a holder (by eppn), as their records stand. A card whose record has since moved to
   * another holder is left out, as the record decides.
   */
  async listHolderCards (eppn: string): Promise<CardRecord[]> {
    const cardIds = await this.#redis.smembers(this.keys.holderCards(eppn))
    if (cardIds.length === 0) return []
    const jsons = await this.#redis.pipeline(cardIds.map((cardId) => ['hget', this.keys.card(cardId), 'record'])).exec()
    const records: CardRecord[] = []
    for (const [error, json] of jsons ?? []) {
      if (error !== null) throw error
      if (typeof json !== 'string') continue
      const record = JSON.parse(json) as CardRecord
      if (record.holder.eppn === eppn) records.push(record)
    }
    return records
  }

  #indexKeys (record: CardRecord): string[] {
    const keys: string[] = []
    for (const kind of ['csn', 'idZdc', 'escn'] as const) {
      const value = identifierOf(record, kind)
      if (value !== undefined) keys.push(this.keys.index(kind, value))
    }
    return keys
  }

  async getSync (downstream: DownstreamName, cardId: string): Promise<SyncRecord> {
    return syncRecordOf(await this.#redis.hgetall(this.keys.sync(downstream, cardId)))
  }

  /** The card's record, what `downstream` confirmed and its attention entry, read together in one round trip. */
  async standing (downstream: DownstreamName, cardId: string): Promise<SyncStanding> {
    const replies = await this.#redis.multi()
      .hget(this.keys.card(cardId), 'record')
      .hgetall(this.keys.sync(downstream, cardId))
      .hget(this.keys.attention(), attentionField(downstream, cardId))
      .exec()
    const [recordJson, syncHash, attentionJson] = (replies ?? []).map(([error, reply]) => {
      if (error !== null) throw error
      return reply
    }) as [string | null, Record<string, string>, string | null]
    if (recordJson === null) return { status: 'no-card' }
    const record = JSON.parse(recordJson) as CardRecord
    const confirmed = syncRecordOf(syncHash)
    if (confirmed.confirmedVersion >= record.version) return { status: 'in-line' }
    const attention = attentionJson === null ? undefined : JSON.parse(attentionJson) as AttentionEntry
    if (attention !== undefined && attention.version === record.version) return { status: 'needs-attention' }
    return { status: 'behind', record, confirmed, attention }
  }

  async getTimeline (cardId: string, limit = this.#timelineCap): Promise<TimelineEntry[]> {
    const lines = await this.#redis.lrange(this.keys.timeline(cardId), -limit, -1)
    return lines.map((line) => JSON.parse(line) as TimelineEntry)
  }

  async appendTimeline (cardId: string, entry: TimelineEntry): Promise<void> {
    const key = this.keys.timeline(cardId)
    await this.#redis.multi().rpush(key, JSON.stringify(entry)).ltrim(key, -this.#timelineCap, -1).exec()
  }

  /** Takes the (downstream, card) lease so no two workers act on one card at once; null when held elsewhere. */
  async acquireLease (downstream: DownstreamName, cardId: string, ttlMs: number): Promise<string | null> {
    return await this.#acquire(this.keys.lease(downstream, cardId), ttlMs)
  }

  async renewLease (downstream: DownstreamName, cardId: string, token: string, ttlMs: number): Promise<boolean> {
    return await this.#redis.leoRenewLease(this.keys.lease(downstream, cardId), token, ttlMs) === 1
  }

  async releaseLease (downstream: DownstreamName, cardId: string, token: string): Promise<void> {
    await this.#redis.leoReleaseLease(this.keys.lease(downstream, cardId), token)
  }

  /**
   * Takes the (downstream, holder) lease, for work on what a holder's cards share downstream (the ESC
   * person): deciding "no other card left active" and deleting must not interleave with another card's
   * registration. Null when held elsewhere.
   */
  async acquireHolderLease (downstream: DownstreamName, eppn: string, ttlMs: number): Promise<string | null> {
    return await this.#acquire(this.keys.holderLease(downstream, eppn), ttlMs)
  }

  async renewHolderLease (downstream: DownstreamName, eppn: string, token: string, ttlMs: number): Promise<boolean> {
    return await this.#redis.leoRenewLease(this.keys.holderLease(downstream, eppn), token, ttlMs) === 1
  }

  async releaseHolderLease (downstream: DownstreamName, eppn: string, token: string): Promise<void> {
    await this.#redis.leoReleaseLease(this.keys.holderLease(downstream, eppn), token)
  }

  async #acquire (key: string, ttlMs: number): Promise<string | null> {
    const token = randomUUID()
    const ok = await this.#redis.set(key, token, 'PX', ttlMs, 'NX')
    return ok === 'OK' ? token : null
  }

  /**
   * Takes back the confirmation of the card's current version on `downstream` and marks it dirty: for a
   * run whose lease lapsed during its call, which may have undone what another worker confirmed meanwhile.
   */
  async reopen (downstream: DownstreamName, cardId: string): Promise<void> {
    await this.#redis.leoReopen(this.keys.sync(downstream, cardId), this.keys.card(cardId), this.keys.dirty(downstream), this.#now(), cardId)
  }

  /** Records a confirmed version; returns the desired version now held, or -1 if the lease was lost meanwhile. */
  async confirm (request: ConfirmRequest): Promise<number> {
    const { downstream, cardId } = request
    return await this.#redis.leoConfirm(
      this.keys.sync(downstream, cardId), this.keys.card(cardId), this.keys.dirty(downstream),
      this.keys.lease(downstream, cardId), this.keys.timeline(cardId),
      request.leaseToken, request.version, request.remoteState ?? '', request.outcome, this.#now(), cardId,
      JSON.stringify(request.entry), this.#timelineCap,
      request.remoteHolder === undefined ? '0' : '1', request.remoteHolder ?? '')
  }

  async markAttention (entry: AttentionEntry): Promise<void> {
    await this.#redis.hset(this.keys.attention(), attentionField(entry.downstream, entry.cardId), JSON.stringify(entry))
  }

  async getAttention (downstream: DownstreamName, cardId: string): Promise<AttentionEntry | undefined> {
    const json = await this.#redis.hget(this.keys.attention(), attentionField(downstream, cardId))
    return json === null ? undefined : JSON.parse(json) as AttentionEntry
  }

  async listAttention (): Promise<AttentionEntry[]> {
    const all = await this.#redis.hvals(this.keys.attention())
    return all.map((json) => JSON.parse(json) as AttentionEntry).sort((a, b) => a.at.localeCompare(b.at))
  }

  /** Entries waiting, per downstream (read from the field names: no entry is parsed). */
  async countAttention (): Promise<Map<string, number>> {
    const counts = new Map<string, number>()
    for (const field of await this.#redis.hkeys(this.keys.attention())) {
      const downstream = field.slice(0, field.indexOf('|'))
      counts.set(downstream, (counts.get(downstream) ?? 0) + 1)
    }
    return counts
  }

  /** Returns whether there was an entry to clear. */
  async clearAttention (downstream: DownstreamName, cardId: string): Promise<boolean> {
    return await this.#redis.hdel(this.keys.attention(), attentionField(downstream, cardId)) === 1
  }

  /** Cards whose desired version is ahead of what `downstream` confirmed, marked before `beforeMs`. */
  async listDirty (downstream: DownstreamName, beforeMs: number, limit: number): Promise<string[]> {
    return await this.#redis.zrangebyscore(this.keys.dirty(downstream), '-inf', beforeMs, 'LIMIT', 0, limit)
  }

  async countDirty (downstream: DownstreamName): Promise<number> {
    return await this.#redis.zcard(this.keys.dirty(downstream))
  }

  /** Moves a dirty card to the back of the sweeper's list once it has been looked at. */
  async touchDirty (downstream: DownstreamName, cardId: string): Promise<void> {
    await this.#redis.zadd(this.keys.dirty(downstream), 'XX', this.#now(), cardId)
  }
}

function identifierOf (record: CardRecord, kind: CardIdentifierKind): string | undefined {
  if (kind === 'csn') return record.card.csn
  if (kind === 'idZdc') return record.card.crous?.idZdc
  return record.card.escn
}

function syncRecordOf (hash: Record<string, string>): SyncRecord {
  if (hash.confirmedVersion === undefined) return NEVER_SYNCED
  return {
    confirmedVersion: Number(hash.confirmedVersion),
    remoteState: (hash.remoteState ?? 'untouched') as RemoteCardState,
    outcome: hash.outcome ?? '',
    updatedAtMs: Number(hash.updatedAtMs ?? 0),
    ...(hash.remoteHolder === undefined ? {} : { remoteHolder: hash.remoteHolder }),
  }
}

/** `<downstream>|<card id>`: a downstream name never holds a `|`. */
function attentionField (downstream: DownstreamName, cardId: string): string {
  return `${downstream}|${cardId}`
}
