import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { DownstreamName, Lane } from '../domain/downstream.ts'
import type { DownstreamError } from '../downstream/errors.ts'
import type { RegistryKeys } from '../registry/keys.ts'
import { defineRegistryCommands, type RegistryCommands } from '../registry/scripts.ts'
import type { SyncQueues } from './sync-queues.ts'

/**
 * One breaker per downstream, shared by every worker process through Redis (a breaker in each
 * process's memory, as opossum keeps it, would let each process probe on its own and know nothing of
 * the others). When a downstream keeps failing, its jobs stop calling it: one call at a time probes it,
 * and the other jobs wait in their queues, which the breaker holds back with BullMQ's queue rate limit
 * (a TTL key every worker of the queue reads before it takes a job), so 20,000 waiting cards cost
 * nothing, neither CPU nor Redis, until the probe succeeds. Then the opposition lane drains first; the
 * enablement lane waits until no opposition is left waiting.
 *
 * State (hash `breaker:<downstream>`): `failures` since the last answer, `openUntil` (absent: closed),
 * `openedAt`, `trips`, `suspectSince` (since when the downstream has only given doubtful faults),
 * `draining` (closed again, oppositions first). The probe holds `breaker-probe:<downstream>` (SET NX PX).
 */
export interface BreakerSettings {
  /** Failures since the last answer that open the breaker; 0 never opens it. */
  failures: number
  /** How long the breaker stays open before one call probes the downstream again, ms. */
  openMs: number
  /** How long the probe may hold its lease (a dead worker's lapses), ms: JOB_LOCK_MS. */
  probeLeaseMs: number
}

/** What the gate lets a job do: call the downstream (as the probe, or as usual), or wait. */
export type Passage =
  | { kind: 'pass', probe: string | undefined, state: BreakerState }
  | { kind: 'wait', ms: number, reason: 'open' | 'probing' | 'draining' }

export interface BreakerState {
  openUntil: number
  failures: number
  suspectSince: number
  draining: boolean
  /** When the breaker last closed (epoch ms). */
  closedAt: number
}

/** While oppositions drain, the enablement lane looks again this often, ms. */
const DRAIN_POLL_MS = 1000

/**
 * Longest the enablement lane waits for oppositions after an outage: a steady stream of them, or one in a
 * long back-off of its own, never starves it.
 */
const DRAIN_MAX_MS = 60_000

/** The fields of `breaker:<downstream>` a job reads before it calls, in `breakerStateOf`'s order. */
export const BREAKER_FIELDS = ['openUntil', 'failures', 'suspectSince', 'draining', 'closedAt'] as const

export function breakerStateOf (values: ReadonlyArray<string | null>): BreakerState {
  const [openUntil, failures, suspectSince, draining, closedAt] = values
  return { openUntil: Number(openUntil ?? 0), failures: Number(failures ?? 0), suspectSince: Number(suspectSince ?? 0), draining: draining === '1', closedAt: Number(closedAt ?? 0) }
}

export class Breakers {
  readonly #redis: Redis & RegistryCommands
  readonly #keys: RegistryKeys
  readonly #queues: SyncQueues
  readonly #settings: BreakerSettings
  readonly #now: () => number

  constructor (redis: Redis, keys: RegistryKeys, queues: SyncQueues, settings: BreakerSettings, now: () => number = Date.now) {
    this.#redis = defineRegistryCommands(redis)
    this.#keys = keys
    this.#queues = queues
    this.#settings = settings
    this.#now = now
  }

  async state (downstream: DownstreamName): Promise<BreakerState> {
    return breakerStateOf(await this.#redis.hmget(this.#keys.breaker(downstream), ...BREAKER_FIELDS))
  }

  /**
   * Before a job calls `downstream`: pass (perhaps as the probe), or wait that long. `known`: the state as
   * the job has just read it itself (BREAKER_FIELDS of `breaker:<downstream>`, in its first look).
   */
  async enter (downstream: DownstreamName, lane: Lane, known?: BreakerState): Promise<Passage> {
    const state = known ?? await this.state(downstream)
    const now = this.#now()
    if (state.openUntil > now) return { kind: 'wait', ms: state.openUntil - now, reason: 'open' }
    if (state.openUntil > 0) {
      // Open, and its time is up: one call probes; the others wait for its verdict.
      const token = randomUUID()
      if (await this.#redis.set(this.#keys.breakerProbe(downstream), token, 'PX', this.#settings.probeLeaseMs, 'NX') === 'OK') return { kind: 'pass', probe: token, state }
      const left = await this.#redis.pttl(this.#keys.breakerProbe(downstream))
      return { kind: 'wait', ms: Math.max(100, Math.min(left > 0 ? left : this.#settings.openMs, this.#settings.openMs)), reason: 'probing' }
    }
    if (lane === 'enable' && state.draining) {
      // Oppositions first: until none waits, runs or is in back-off (those from before the outage are
      // promoted at the close; one still delayed may be in the middle of being promoted).
      const pending = await this.#queues.queue(downstream, 'oppose').getJobCounts('wait', 'prioritized', 'active', 'delayed')
      const left = (pending.wait ?? 0) + (pending.prioritized ?? 0) + (pending.active ?? 0) + (pending.delayed ?? 0)
      if (left > 0 && now - state.closedAt < DRAIN_MAX_MS) return { kind: 'wait', ms: DRAIN_POLL_MS, reason: 'draining' }
      await this.#redis.hdel(this.#keys.breaker(downstream), 'draining')
      await this.#release(downstream, 'enable')
    }
    return { kind: 'pass', probe: undefined, state }
  }

  /** Holds `lane`'s queue of `downstream` back for `ms` (every worker process of it). */
  async hold (downstream: DownstreamName, lane: Lane, ms: number): Promise<void> {
    await this.#queues.queue(downstream, lane).rateLimit(Math.max(1, Math.ceil(ms)))
  }

  /**
   * The downstream answered (a success, or a verdict on the card). Writes only when there is something
   * to forget; a closing breaker lets the opposition lane go at once.
   */
  async answered (downstream: DownstreamName, passage: Extract<Passage, { kind: 'pass' }>, options: { forgetDoubt: boolean }): Promise<void> {
    const { state } = passage
    const worthWriting = passage.probe !== undefined || state.failures > 0 || state.openUntil > 0 || (options.forgetDoubt && state.suspectSince > 0)
    if (worthWriting) {
      const wasOpen = await this.#redis.leoBreakerSuccess(this.#keys.breaker(downstream), options.forgetDoubt ? '1' : '0', this.#now())
      if (wasOpen === 1) await this.#release(downstream, 'oppose')
    }
    await this.#endProbe(downstream, passage)
  }

  /** The downstream did not serve a call (an outage fault). Returns since when it has given only doubtful faults (0: not). */
  async failed (downstream: DownstreamName, passage: Extract<Passage, { kind: 'pass' }>, fault: DownstreamError): Promise<{ openUntil: number, suspectSince: number }> {
    const openMs = Math.max(this.#settings.openMs, fault.retryAfterMs ?? 0)
    const [openUntil, , suspectSince] = await this.#redis.leoBreakerFailure(this.#keys.breaker(downstream), this.#now(), this.#settings.failures, openMs, fault.doubtful ? '1' : '0', fault.code)
    await this.#endProbe(downstream, passage)
    return { openUntil: Number(openUntil), suspectSince: Number(suspectSince) }
  }

  /** A job that passed ended without a verdict on the downstream (our own trouble): only the probe is handed back. */
  async left (downstream: DownstreamName, passage: Extract<Passage, { kind: 'pass' }>): Promise<void> {
    await this.#endProbe(downstream, passage)
  }

  async #endProbe (downstream: DownstreamName, passage: Extract<Passage, { kind: 'pass' }>): Promise<void> {
    if (passage.probe !== undefined) await this.#redis.leoReleaseLease(this.#keys.breakerProbe(downstream), passage.probe)
  }

  /** Lets a lane's waiting jobs run now: its hold is lifted, and jobs in back-off from before the outage come forward. */
  async #release (downstream: DownstreamName, lane: Lane): Promise<void> {
    const queue = this.#queues.queue(downstream, lane)
    await queue.removeRateLimitKey()
    await queue.promoteJobs()
  }
}
