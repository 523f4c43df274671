import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { CardEvent } from '../domain/card-event.ts'
import { type CardRecord, mergeEvent } from '../domain/card-record.ts'
import type { DownstreamName, Lane } from '../domain/downstream.ts'
import { NEVER_SYNCED, type RemoteCardState, type SyncRecord } from '../domain/sync-record.ts'
import { type IntakeResult, type IntakeService, RegistryUnavailableError } from '../intake/intake-service.ts'
import type { AttentionEntry } from './attention.ts'
import type { CardIdentifierKind, RegistryKeys } from './keys.ts'
import { defineRegistryCommands, type RegistryCommands, type StandingReply } from './scripts.ts'
import { type TimelineEntry, timelineEntry } from './timeline.ts'
import { isRedisUnavailable } from './unavailable.ts'

export interface RegistryOptions {
  redis: Redis
  keys: RegistryKeys
  downstreams: readonly DownstreamName[]
  /** SGC events kept per card (oldest dropped first). Default 1000. */
  timelineCap?: number
  /** Activity lines (calls, faults, confirmations...) kept per card and downstream. Default 200. */
  activityCap?: number
  /** How long an event's idempotency record is kept after acceptance, ms (IDEMPOTENCY_RETENTION_DAYS). Default 90 days. */
  idempotencyMs?: number
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
  /** The run's call lines, not yet recorded: appended before `entry`, in the same script. */
  calls?: readonly TimelineEntry[]
  /** Release the lease in the same script when the desired version is then confirmed (the run ends). */
  releaseWhenDone?: boolean
}

/** What a sync job's first look found (`leaseAndStanding`): the lease it now holds and where the card stands. */
export interface LeaseAndStanding {
  lease: string
  standing: SyncStanding
  /** The values of the hash fields asked for beside (the breaker's), in that order. */
  also: Array<string | null>
}

/**
 * Where one downstream stands with one card: what the sync worker, its recheck and the sweeper decide on.
 * `behind`: the desired version is ahead of the confirmed one and no operator is awaited at that version.
 */
export type SyncStanding =
  | { status: 'no-card' | 'in-line' | 'needs-attention' }
  | { status: 'behind', record: CardRecord, confirmed: SyncRecord, attention: AttentionEntry | undefined }

/** What a sweep pass found for one downstream. */
export interface SweepStats {
  sweptAtMs: number
  scanned: number
  woken: number
  /** When the oldest opposition still pending was accepted (epoch ms), or null when none is. */
  oldestPendingOppositionMs: number | null
}

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
  readonly #activityCap: number
  readonly #idempotencyMs: number
  readonly #now: () => number

  constructor (options: RegistryOptions) {
    this.keys = options.keys
    this.#redis = defineRegistryCommands(options.redis)
    this.#downstreams = options.downstreams
    this.#timelineCap = options.timelineCap ?? 1000
    this.#activityCap = options.activityCap ?? 200
    this.#idempotencyMs = options.idempotencyMs ?? 90 * 86_400_000
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
        const keys = merge.applied ? [...fixedKeys, this.keys.holderCards(merge.record.holder.eppn), ...this.#indexKeys(merge.record), this.keys.erased(cardId)] : [...fixedKeys, this.keys.erased(cardId)]
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
          String(version), JSON.stringify(entry), acceptedAtMs, this.#timelineCap, this.#downstreams.length, event.card.state, acceptedAtMs + this.#idempotencyMs, merge.applied ? merge.record.occurredAtMs : '')
        if (status === 'accepted') return { status, eventId: event.eventId, cardId, version: Number(detail), applied: merge.applied }
        // A card erased since (retention/): an event older than its last state is late, as for a held card.
        if (status === 'erased-late') return { status: 'accepted', eventId: event.eventId, cardId, version: 0, applied: false }
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

  /** The card's record, what `downstream` confirmed and its attention entry, read together in one command. */
  async standing (downstream: DownstreamName, cardId: string): Promise<SyncStanding> {
    const [recordJson, syncFlat, attentionJson] = await this.#redis.leoStanding(this.keys.card(cardId), this.keys.sync(downstream, cardId), this.keys.attention(downstream), cardId)
    return standingOf(recordJson, hashOf(syncFlat), attentionJson)
  }

  /**
   * Takes the (downstream, card) lease as `acquireLease` does and, when taken, reads the card's standing
   * and `also.fields` of the hash `also.key` (the downstream's breaker) in the same script: a job's first
   * look is one round trip. Null when the lease is held elsewhere.
   */
  async leaseAndStanding (downstream: DownstreamName, cardId: string, ttlMs: number, also: { key: string, fields: readonly string[] }): Promise<LeaseAndStanding | null> {
    const lease = randomUUID()
    const reply = await this.#redis.leoLeaseStanding(this.keys.lease(downstream, cardId), this.keys.card(cardId), this.keys.sync(downstream, cardId),
      this.keys.attention(downstream), also.key, lease, ttlMs, cardId, ...also.fields)
    if (reply[0] !== 1) return null
    const [, recordJson, syncFlat, attentionJson, values] = reply
    try {
      return { lease, standing: standingOf(recordJson, hashOf(syncFlat), attentionJson), also: also.fields.map((_field, index) => values[index] ?? null) }
    } catch (error) {
      // A record that cannot be read: the lease must not be left to lapse on its own.
      await this.releaseLease(downstream, cardId, lease)
      throw error
    }
  }

  /**
   * `standing` for many cards of one downstream in one pipeline (the sweeper's pass). A card whose record
   * cannot be read counts as behind nothing: it is left to its own job, whose error shows.
   */
  async standings (downstream: DownstreamName, cardIds: readonly string[]): Promise<SyncStanding[]> {
    if (cardIds.length === 0) return []
    const pipeline = this.#redis.pipeline()
    for (const cardId of cardIds) {
      pipeline.hget(this.keys.card(cardId), 'record').hgetall(this.keys.sync(downstream, cardId)).hget(this.keys.attention(downstream), cardId)
    }
    const replies = await pipeline.exec() ?? []
    return cardIds.map((_cardId, index) => {
      const [recordReply, syncReply, attentionReply] = replies.slice(index * 3, index * 3 + 3)
      for (const reply of [recordReply, syncReply, attentionReply]) if (reply?.[0] !== null && reply?.[0] !== undefined) throw reply[0]
      try {
        return standingOf(recordReply?.[1] as string | null, syncReply?.[1] as Record<string, string>, attentionReply?.[1] as string | null)
      } catch {
        return { status: 'no-card' } satisfies SyncStanding
      }
    })
  }

  /**
   * A card's history, oldest first: its SGC events and every downstream's activity, merged by time.
   * Events and activity are kept apart, each capped, so that no fault ever pushes an SGC event out.
   */
  async getTimeline (cardId: string, limit = this.#timelineCap): Promise<TimelineEntry[]> {
    const pipeline = this.#redis.pipeline().lrange(this.keys.timeline(cardId), -limit, -1)
    for (const downstream of this.#downstreams) pipeline.lrange(this.keys.activity(downstream, cardId), -limit, -1)
    const lists = (await pipeline.exec() ?? []).map(([error, lines]) => {
      if (error !== null) throw error
      return (lines as string[]).map((line) => JSON.parse(line) as TimelineEntry)
    })
    // Stable: at the same instant, events before activity, each list in its own order.
    return lists.flat().sort((a, b) => a.at < b.at ? -1 : a.at > b.at ? 1 : 0).slice(-limit)
  }

  /** Adds lines, in order, to one downstream's activity for a card (capped). */
  async appendActivity (downstream: DownstreamName, cardId: string, ...entries: TimelineEntry[]): Promise<void> {
    if (entries.length === 0) return
    const key = this.keys.activity(downstream, cardId)
    await this.#redis.multi().rpush(key, ...entries.map((entry) => JSON.stringify(entry))).ltrim(key, -this.#activityCap, -1).exec()
  }

  /**
   * Records a failed run: its call lines (`calls`, not yet recorded) and its fault line, or, when the
   * previous run made the same calls and met the same fault (`signature`), one more count on that run's
   * fault line. Returns how many runs the line now stands for and the time of the first.
   */
  async recordFault (downstream: DownstreamName, cardId: string, entry: TimelineEntry, signature: string, calls: readonly TimelineEntry[]): Promise<{ count: number, firstAtMs: number }> {
    const [count, firstAt] = await this.#redis.leoRecordFault(this.keys.activity(downstream, cardId), JSON.stringify({ ...entry, signature, count: 1, firstAt: entry.at, lastAt: entry.at }), signature, this.#activityCap, ...calls.map((call) => JSON.stringify(call)))
    const firstAtMs = Date.parse(firstAt)
    return { count: Number(count), firstAtMs: Number.isNaN(firstAtMs) ? this.#now() : firstAtMs }
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
      this.keys.lease(downstream, cardId), this.keys.activity(downstream, cardId),
      request.leaseToken, request.version, request.remoteState ?? '', request.outcome, this.#now(), cardId,
      JSON.stringify(request.entry), this.#activityCap,
      request.remoteHolder === undefined ? '0' : '1', request.remoteHolder ?? '', request.releaseWhenDone === true ? '1' : '0',
      ...(request.calls ?? []).map((call) => JSON.stringify(call)))
  }

  /**
   * Puts a card's work on `downstream` in "needs attention" and takes it out of the dirty set, together:
   * the sweeper then never spends a look on it (a newer SGC event marks it dirty again; so does a replay).
   */
  async markAttention (entry: AttentionEntry): Promise<void> {
    await this.#redis.multi()
      .hset(this.keys.attention(entry.downstream), entry.cardId, JSON.stringify(entry))
      .zrem(this.keys.dirty(entry.downstream), entry.cardId)
      .exec()
  }

  async getAttention (downstream: DownstreamName, cardId: string): Promise<AttentionEntry | undefined> {
    const json = await this.#redis.hget(this.keys.attention(downstream), cardId)
    return json === null ? undefined : JSON.parse(json) as AttentionEntry
  }

  /** Entries waiting, oldest first, of every downstream or one, with one fault code or any. */
  async listAttention (filter: { downstream?: DownstreamName, code?: string } = {}): Promise<AttentionEntry[]> {
    const downstreams = filter.downstream === undefined ? this.#downstreams : [filter.downstream]
    const entries: AttentionEntry[] = []
    for (const downstream of downstreams) {
      let cursor = '0'
      do {
        const [next, pairs] = await this.#redis.hscan(this.keys.attention(downstream), cursor, 'COUNT', 1000)
        cursor = next
        for (let i = 1; i < pairs.length; i += 2) {
          const entry = JSON.parse(pairs[i] as string) as AttentionEntry
          if (filter.code === undefined || entry.code === filter.code) entries.push(entry)
        }
      } while (cursor !== '0')
    }
    return entries.sort((a, b) => a.at.localeCompare(b.at))
  }

  /** Entries waiting, per downstream: one HLEN each, whatever their number. */
  async countAttention (): Promise<Map<string, number>> {
    const pipeline = this.#redis.pipeline()
    for (const downstream of this.#downstreams) pipeline.hlen(this.keys.attention(downstream))
    const replies = await pipeline.exec() ?? []
    return new Map(this.#downstreams.map((downstream, index) => {
      const [error, count] = replies[index] ?? [null, 0]
      if (error !== null) throw error
      return [downstream, Number(count)]
    }))
  }

  /** Drops an entry a newer state made moot (the card is in line by then). Returns whether there was one. */
  async clearAttention (downstream: DownstreamName, cardId: string): Promise<boolean> {
    return await this.#redis.hdel(this.keys.attention(downstream), cardId) === 1
  }

  /** An operator's replay: out of "needs attention" and dirty again, atomically. Returns whether there was an entry. */
  async releaseAttention (downstream: DownstreamName, cardId: string): Promise<boolean> {
    return await this.#redis.leoReplayAttention(this.keys.attention(downstream), this.keys.dirty(downstream), cardId, this.#now()) === 1
  }

  /**
   * One pass over every card of `downstream`'s dirty set, in pages of about `pageSize` (ZSCAN: every card
   * there during the whole pass is seen at least once, whatever is added or removed meanwhile).
   */
  async * scanDirty (downstream: DownstreamName, pageSize = 1000): AsyncGenerator<string[]> {
    let cursor = '0'
    do {
      const [next, flat] = await this.#redis.zscan(this.keys.dirty(downstream), cursor, 'COUNT', pageSize)
      cursor = next
      const cardIds: string[] = []
      for (let i = 0; i < flat.length; i += 2) cardIds.push(flat[i] as string)
      if (cardIds.length > 0) yield cardIds
    } while (cursor !== '0')
  }

  /**
   * One page of a sweep pass (scripts/sweep-page-1.lua): of these dirty cards, those behind on `downstream`
   * with no job in flight in their lane (`lane` undefined for a record older than the state field), how
   * many are behind, and when the oldest pending opposition among them was accepted.
   */
  async sweepPage (downstream: DownstreamName, cards: ReadonlyArray<{ cardId: string, jobId: string }>, jobKeys: { oppose: string, enable: string, opposeFailed: string, enableFailed: string }): Promise<{ behind: number, oldestOppositionMs: number | undefined, lost: Array<{ cardId: string, lane: Lane | undefined }> }> {
    const args = [`${this.keys.card('')}`, `${this.keys.sync(downstream, '')}`, jobKeys.oppose, jobKeys.enable, jobKeys.opposeFailed, jobKeys.enableFailed]
    for (const { cardId, jobId } of cards) args.push(cardId, jobId)
    const reply = await this.#redis.leoSweepPage(this.keys.attention(downstream), ...args)
    const [oldest, behind, ...rest] = reply
    const lost: Array<{ cardId: string, lane: Lane | undefined }> = []
    for (let i = 0; i < rest.length; i += 2) {
      const lane = rest[i + 1]
      lost.push({ cardId: String(rest[i]), lane: lane === 'oppose' || lane === 'enable' ? lane : undefined })
    }
    return { behind: Number(behind), oldestOppositionMs: oldest === '' || oldest === undefined ? undefined : Number(oldest), lost }
  }

  async writeSweepStats (downstream: DownstreamName, stats: SweepStats): Promise<void> {
    await this.#redis.hset(this.keys.sweepStats(downstream), {
      sweptAtMs: stats.sweptAtMs,
      scanned: stats.scanned,
      woken: stats.woken,
      oldestPendingOppositionMs: stats.oldestPendingOppositionMs ?? '',
    })
  }

  /** What the last sweep found, per downstream; undefined for one never swept. */
  async readSweepStats (): Promise<Map<DownstreamName, SweepStats | undefined>> {
    const pipeline = this.#redis.pipeline()
    for (const downstream of this.#downstreams) pipeline.hgetall(this.keys.sweepStats(downstream))
    const replies = await pipeline.exec() ?? []
    return new Map(this.#downstreams.map((downstream, index) => {
      const [error, hash] = replies[index] ?? [null, {}]
      if (error !== null) throw error
      const fields = hash as Record<string, string>
      if (fields.sweptAtMs === undefined) return [downstream, undefined]
      return [downstream, {
        sweptAtMs: Number(fields.sweptAtMs),
        scanned: Number(fields.scanned ?? 0),
        woken: Number(fields.woken ?? 0),
        oldestPendingOppositionMs: fields.oldestPendingOppositionMs === undefined || fields.oldestPendingOppositionMs === '' ? null : Number(fields.oldestPendingOppositionMs),
      }]
    }))
  }

  async countDirty (downstream: DownstreamName): Promise<number> {
    return await this.#redis.zcard(this.keys.dirty(downstream))
  }

  /** The earliest dirty mark of `downstream` (epoch ms), or undefined when none is dirty. */
  async oldestDirtyMs (downstream: DownstreamName): Promise<number | undefined> {
    const [, score] = await this.#redis.zrange(this.keys.dirty(downstream), 0, 0, 'WITHSCORES')
    return score === undefined ? undefined : Number(score)
  }
}

function identifierOf (record: CardRecord, kind: CardIdentifierKind): string | undefined {
  if (kind === 'csn') return record.card.csn
  if (kind === 'idZdc') return record.card.crous?.idZdc
  return record.card.escn
}

/** A hash as HGETALL inside a script returns it (field, value, ...), as ioredis's hgetall does. */
function hashOf (flat: readonly string[]): Record<string, string> {
  const hash: Record<string, string> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i] as string] = flat[i + 1] as string
  return hash
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

function standingOf (recordJson: string | null, syncHash: Record<string, string>, attentionJson: string | null): SyncStanding {
  if (recordJson === null) return { status: 'no-card' }
  const record = JSON.parse(recordJson) as CardRecord
  const confirmed = syncRecordOf(syncHash)
  if (confirmed.confirmedVersion >= record.version) return { status: 'in-line' }
  const attention = attentionJson === null ? undefined : JSON.parse(attentionJson) as AttentionEntry
  if (attention !== undefined && attention.version === record.version) return { status: 'needs-attention' }
  return { status: 'behind', record, confirmed, attention }
}
