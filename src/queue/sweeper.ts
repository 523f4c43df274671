import { Queue, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { OPPOSED_STATES } from '../domain/card-state.ts'
import type { DownstreamName, Lane } from '../domain/downstream.ts'
import { laneOf } from '../domain/downstream.ts'
import type { Registry } from '../registry/registry.ts'
import { jobIdFor } from './lanes.ts'
import type { SyncQueues } from './sync-queues.ts'

export interface SweeperOptions {
  registry: Registry
  queues: SyncQueues
  downstreams: readonly DownstreamName[]
  logger: Logger
  /** Dirty cards read per pipeline. Default 1000. */
  pageSize?: number
}

/** What one pass did, per downstream and in all (the sweep job's return value, shown on the dashboard). */
export interface SweepReport {
  /** Dirty cards looked at: every one of every downstream (cards in "needs attention" are not dirty). */
  scanned: number
  /** Cards behind with no job in flight, now enqueued. */
  woken: number
  ms: number
  downstreams: Record<string, { scanned: number, woken: number, oldestPendingOppositionMs: number | null }>
}

export interface Sweeper {
  /** One whole pass over every downstream; returns how many cards were enqueued. */
  sweep (): Promise<number>
  /** The same pass, with its report. */
  pass (): Promise<SweepReport>
  stop (): Promise<void>
}

/**
 * Enqueues every card whose desired version is ahead of a downstream's confirmed version with no job in
 * flight, so that a crash between intake's write and its wake-up, or a job lost or removed from the
 * dashboard, loses nothing. One pass reads the whole dirty set, a page at a time, each page judged inside
 * Redis by one script (registry/scripts/sweep-page-1.lua: no record decoded, only the cards to enqueue
 * sent back); cards waiting for an operator are not in the set. It also notes the oldest pending
 * opposition of each downstream, which the metrics then read without touching the cards.
 */
export function createSweeper (options: SweeperOptions): Sweeper {
  const { registry, queues, downstreams } = options
  const pageSize = options.pageSize ?? 1000
  const log = options.logger.child({ component: 'sweeper' })

  async function sweepDownstream (downstream: DownstreamName): Promise<SweepReport['downstreams'][string]> {
    let scanned = 0
    let woken = 0
    let oldest = Number.POSITIVE_INFINITY
    const jobKeys = queues.jobKeys(downstream)
    for await (const page of registry.scanDirty(downstream, pageSize)) {
      scanned += page.length
      const result = await registry.sweepPage(downstream, page.map((cardId) => ({ cardId, jobId: jobIdFor(cardId) })), jobKeys)
      if (result.oldestOppositionMs !== undefined) oldest = Math.min(oldest, result.oldestOppositionMs)
      const lost: Array<{ cardId: string, lane: Lane }> = []
      for (const card of result.lost) {
        if (card.lane !== undefined) {
          lost.push({ cardId: card.cardId, lane: card.lane })
          continue
        }
        // A record from before the state field: its lane (and age) from the record itself.
        const standing = await registry.standing(downstream, card.cardId)
        if (standing.status !== 'behind') continue
        lost.push({ cardId: card.cardId, lane: laneOf(standing.record) })
        if (OPPOSED_STATES.has(standing.record.card.state)) oldest = Math.min(oldest, standing.record.acceptedAtMs)
      }
      if (lost.length > 0) {
        await queues.rewakeMany(downstream, lost)
        woken += lost.length
      }
    }
    for (const entry of await registry.listAttention({ downstream })) {
      if (entry.lane === 'oppose') oldest = Math.min(oldest, entry.pendingSinceMs ?? Date.parse(entry.at))
    }
    const oldestPendingOppositionMs = Number.isFinite(oldest) ? oldest : null
    await registry.writeSweepStats(downstream, { sweptAtMs: Date.now(), scanned, woken, oldestPendingOppositionMs })
    return { scanned, woken, oldestPendingOppositionMs }
  }

  async function pass (): Promise<SweepReport> {
    const started = Date.now()
    const report: SweepReport = { scanned: 0, woken: 0, ms: 0, downstreams: {} }
    for (const downstream of downstreams) {
      const part = await sweepDownstream(downstream)
      report.downstreams[downstream] = part
      report.scanned += part.scanned
      report.woken += part.woken
    }
    report.ms = Date.now() - started
    if (report.woken > 0) log.info({ woken: report.woken, scanned: report.scanned, ms: report.ms }, 'sweeper re-enqueued lagging cards')
    for (const queue of queues.all()) {
      // Pausing a lane (from the dashboard, the API, redis-cli) holds every card of it back: say so loudly.
      if (await queue.isPaused()) log.error({ queue: queue.name }, 'queue is paused: its cards are held back until it is resumed')
    }
    return report
  }

  return {
    pass,
    sweep: async () => (await pass()).woken,
    async stop () {},
  }
}

export const SWEEP_QUEUE = 'sweep'
const SCHEDULER_ID = 'sweep'

/**
 * Runs the sweeper once per `intervalMs` for the whole deployment: a BullMQ job scheduler (one schedule in
 * Redis, upserted by every worker process) makes one job per interval, which one worker takes. Several
 * replicas therefore sweep once, not once each, and a pass never overlaps the next.
 */
export async function scheduleSweeps (options: { connection: Redis, prefix: string, sweeper: Sweeper, intervalMs: number, logger: Logger, retention?: { step (): Promise<unknown> } | undefined, retentionEveryMs?: number }): Promise<Sweeper> {
  const { connection, prefix, sweeper, intervalMs } = options
  const log = options.logger.child({ component: 'sweeper' })
  const queue = new Queue(SWEEP_QUEUE, { connection, prefix })
  queue.on('error', (error) => log.warn({ err: error.message }, 'sweep queue error'))
  await queue.upsertJobScheduler(SCHEDULER_ID, { every: intervalMs }, { name: SCHEDULER_ID, opts: { removeOnComplete: { count: 10 }, removeOnFail: { count: 10 }, stackTraceLimit: 1 } })
  let lastRetentionAt = 0
  const worker = new Worker(SWEEP_QUEUE, async () => {
    const report = await sweeper.pass()
    // A few bounded pages of retention (retention/retention-pass.ts) ride on the same one-per-deployment
    // job; their failure never fails the sweep, whose wake-ups matter more.
    // At most one step per retentionEveryMs in this process (default 10 s): a short SWEEP_INTERVAL_MS (tests,
    // a drill) must not turn retention, counted in days, into a constant scan of the keyspace.
    let retention: unknown
    try {
      if (options.retention !== undefined && Date.now() - lastRetentionAt >= (options.retentionEveryMs ?? 10_000)) {
        lastRetentionAt = Date.now()
        retention = await options.retention.step()
      }
    } catch (error) {
      log.warn({ err: error }, 'retention step failed; the next sweep retries')
    }
    return retention === undefined ? report : { ...report, retention }
  }, {
    connection,
    prefix,
    concurrency: 1,
    // A pass over a large dirty set may take seconds: the lock outlives it.
    lockDuration: Math.max(60_000, intervalMs * 2),
  })
  worker.on('failed', (_job, error) => log.warn({ err: error }, 'sweep failed; the next one retries'))
  worker.on('error', (error) => log.warn({ err: error }, 'sweep worker error'))
  return {
    pass: sweeper.pass,
    sweep: sweeper.sweep,
    async stop () {
      await worker.close()
      await queue.close()
    },
  }
}
