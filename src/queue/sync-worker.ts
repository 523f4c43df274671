import { createHash } from 'node:crypto'
import { DelayedError, type Job, WaitingError, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { QueueConfig } from '../config/config.ts'
import type { CardRecord } from '../domain/card-record.ts'
import { OPPOSED_STATES } from '../domain/card-state.ts'
import type { SyncRecord } from '../domain/sync-record.ts'
import { type Lane, laneOf } from '../domain/downstream.ts'
import { DownstreamError } from '../downstream/errors.ts'
import { maskedFault } from '../downstream/holder-mask.ts'
import type { DownstreamSync, SyncResult } from '../downstream/types.ts'
import { type GatewayMetrics, metricCode } from '../observability/metrics.ts'
import { NO_TRACING, type Tracing } from '../observability/tracing.ts'
import type { Registry } from '../registry/registry.ts'
import { type TimelineEntry, timelineEntry } from '../registry/timeline.ts'
import { retryDelayMs } from './backoff.ts'
import { BREAKER_FIELDS, breakerStateOf, type Breakers, type Passage } from './breaker.ts'
import { HandedBack, unlessHandedBack } from './hand-back.ts'
import { queueName, type SyncJobData } from './lanes.ts'
import { BACKOFF_TYPE, type SyncQueues } from './sync-queues.ts'

export interface SyncWorkerOptions {
  connection: Redis
  registry: Registry
  queues: SyncQueues
  breakers: Breakers
  sync: DownstreamSync
  lane: Lane
  config: QueueConfig
  logger: Logger
  metrics: GatewayMetrics
  /** Spans of each run (the job's own come from BullMQ's telemetry). @defaultValue NO_TRACING */
  tracing?: Tracing
}

/** Rounds one job may run when the desired state keeps moving under it, before handing over. */
const MAX_ROUNDS = 20

/** Longest downstream message kept in a timeline line or an attention entry: storage per card stays bounded. */
const MAX_MESSAGE = 300

/**
 * A level-triggered sync worker for one (downstream, lane): a job means "bring this downstream in
 * line with card C". It reads the desired state when it runs, does what the gap requires, records the
 * confirmed version and runs again if the desired version moved meanwhile (SPEC §10). Before it calls
 * the downstream it passes the downstream's breaker (breaker.ts): while the breaker is open the job goes
 * back to its queue, which the breaker holds back, instead of calling.
 */
export function startSyncWorker (options: SyncWorkerOptions): Worker<SyncJobData> {
  const { registry, queues, breakers, sync, lane, config, logger, metrics } = options
  const tracing = options.tracing ?? NO_TRACING
  const downstream = sync.name
  const log = logger.child({ downstream, lane })

  const worker = new Worker<SyncJobData>(queueName(downstream, lane), async (job, token, signal) => await runJob(job, token, signal), {
    connection: options.connection,
    prefix: registry.keys.bullPrefix(),
    concurrency: lane === 'oppose' ? config.opposeConcurrency : config.enableConcurrency,
    lockDuration: config.lockMs,
    stalledInterval: config.stalledCheckMs,
    // A job whose worker died goes back to wait however often it happens; it is never failed for it.
    maxStalledCount: Number.MAX_SAFE_INTEGER,
    // BullMQ applies a queue's rate limit (how the breaker holds a lane back) only to workers that have a
    // limiter; this one never limits anything by itself.
    limiter: { max: 1_000_000_000, duration: 1000 },
    ...(tracing.telemetry !== undefined ? { telemetry: tracing.telemetry } : {}),
    settings: {
      backoffStrategy: (attemptsMade, type, error) => {
        if (type !== BACKOFF_TYPE) throw new Error(`unknown back-off ${type ?? ''}`)
        const retryAfterMs = error instanceof DownstreamError ? error.retryAfterMs : undefined
        return retryDelayMs(attemptsMade, config.retryBaseMs, config.retryMaxMs, retryAfterMs)
      },
    },
  })

  async function runJob (job: Job<SyncJobData>, token: string | undefined, signal: AbortSignal | undefined): Promise<string> {
    try {
      return await runRounds(job, token, signal)
    } catch (error) {
      if (!(error instanceof HandedBack)) throw error
      // The process is shutting down (hand-back.ts): the card lease is already released, the job goes
      // back to wait for another worker now rather than after its lock lapses.
      await job.moveToWait(token)
      log.info({ cardId: job.data.cardId }, 'shutting down: job handed back to the queue')
      throw new WaitingError()
    }
  }

  async function runRounds (job: Job<SyncJobData>, token: string | undefined, signal: AbortSignal | undefined): Promise<string> {
    const { cardId } = job.data
    // The lease, the standing and the breaker's state in one round trip (the job's first look).
    const first = await registry.leaseAndStanding(downstream, cardId, config.lockMs, { key: registry.keys.breaker(downstream), fields: BREAKER_FIELDS })
    if (first === null) {
      // Another lane's job is working on this card right now; it re-reads the desired state before it
      // finishes, so this one only has to look again shortly.
      await job.moveToDelayed(Date.now() + 50 + Math.floor(Math.random() * 150), token)
      throw new DelayedError()
    }
    const { lease } = first
    const stopRenewing = keepLease(cardId, lease)
    let passage: Passage | undefined
    let released = false
    // The run's call lines not yet in its activity list: they go with the confirmation or the fault line
    // (one script), or are appended as they are should the run end otherwise.
    const pending: TimelineEntry[] = []
    try {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const standing = round === 0 ? first.standing : await registry.standing(downstream, cardId)
        if (standing.status !== 'behind') return standing.status
        const { record, confirmed, attention } = standing

        passage ??= await breakers.enter(downstream, lane, breakerStateOf(first.also))
        if (passage.kind === 'wait') {
          // Back to the queue without an attempt; the whole lane waits (every process), nothing spins.
          await breakers.hold(downstream, lane, passage.ms)
          throw Worker.RateLimitError()
        }
        const result = await unlessHandedBack(traced(record, confirmed, job, passage, pending), signal)
        if (result === undefined) return 'needs-attention'
        const desired = await registry.confirm({
          downstream,
          cardId,
          leaseToken: lease,
          version: record.version,
          remoteState: result.remoteState,
          ...(result.remoteHolder === undefined ? {} : { remoteHolder: result.remoteHolder }),
          outcome: result.outcome,
          entry: timelineEntry('sync', { downstream, version: record.version, outcome: result.outcome, correlationId: record.eventId }),
          calls: pending,
          // The run ends with this confirmation unless the desired state moved or an attention entry is
          // to be cleared (under the lease): then the script releases the lease too.
          releaseWhenDone: attention === undefined,
        })
        if (desired === -1) {
          // The lease lapsed during the call (a process paused past JOB_LOCK_MS): the other lane may have
          // confirmed a newer state meanwhile, which this late call may just have undone. Take that
          // confirmation back so the desired state is asserted once more, then retry.
          await registry.reopen(downstream, cardId)
          log.warn({ cardId, version: record.version }, 'card lease lost during the call: card reopened for another run')
          const lost = new DownstreamError({ downstream, code: 'LEASE_LOST', message: `lease on ${downstream}/${cardId} lost during the call: confirmation refused, card reopened; retrying`, transient: true, outage: false })
          await registry.appendActivity(downstream, cardId, ...pending.splice(0), timelineEntry('fault', { downstream, correlationId: record.eventId, version: record.version, code: lost.code, message: lost.message, transient: true, attempt: job.attemptsMade + 1 }))
          throw lost
        }
        pending.length = 0
        released = attention === undefined && desired <= record.version
        metrics.jobOutcomes.inc({ downstream, lane, outcome: result.outcome, code: '' })
        if (attention !== undefined) {
          // A newer SGC state went through: the fault met at an older version no longer needs a human.
          await registry.clearAttention(downstream, cardId)
          await registry.appendActivity(downstream, cardId, timelineEntry('attention', { downstream, version: attention.version, cleared: 'superseded by a newer state' }))
        }
        if (isOppositionDone(record, result)) {
          metrics.oppositionLag.observe({ downstream }, Math.max(0, Date.now() - record.occurredAtMs) / 1000)
        }
        if (desired <= record.version) return result.outcome
      }
      // Still moving after many rounds: let other cards have the worker. This job's id is still taken
      // here (a wake-up now would be absorbed); the recheck on 'completed' puts a fresh job in.
      return 'handed-over'
    } finally {
      stopRenewing()
      // Calls made by a run that ended neither confirmed nor failed (handed back, or Redis failed the
      // confirmation): they still show in the card's activity.
      if (pending.length > 0) {
        await registry.appendActivity(downstream, cardId, ...pending.splice(0)).catch((error: unknown) => log.warn({ err: error, cardId }, 'call lines of an interrupted run not recorded'))
      }
      if (!released) await registry.releaseLease(downstream, cardId, lease)
    }
  }

  /**
   * Renews the card's lease every half JOB_LOCK_MS while the job runs, as BullMQ renews the job's own
   * lock. A run may outlast JOB_LOCK_MS (an enablement makes up to three calls, each bounded by the call
   * timeout only): a lapsed lease would let the other lane act on the card meanwhile, and the run's
   * confirmation would be refused. A worker that dies stops renewing, and the lease lapses.
   */
  function keepLease (cardId: string, lease: string): () => void {
    const timer = setInterval(() => {
      registry.renewLease(downstream, cardId, lease, config.lockMs).then((held) => {
        if (!held) log.warn({ cardId }, 'card lease lapsed during the run; its confirmation will be refused and the job retried')
      }, (error: unknown) => log.warn({ err: error, cardId }, 'card lease renewal failed; the next one retries'))
    }, config.lockMs / 2)
    return () => clearInterval(timer)
  }

  /** applyOnce in a span: the correlation id (the SGC eventId behind the desired state), version, attempt, and what it came to. */
  async function traced (record: CardRecord, confirmed: SyncRecord, job: Job<SyncJobData>, passage: Extract<Passage, { kind: 'pass' }>, pending: TimelineEntry[]): Promise<SyncResult | undefined> {
    const attributes = { 'leocarte.downstream': downstream, 'leocarte.lane': lane, 'leocarte.event_id': record.eventId, 'leocarte.card_id': record.card.id, 'leocarte.version': record.version, 'leocarte.attempt': job.attemptsMade + 1 }
    return await tracing.span(`sync ${downstream} ${lane}`, 'internal', attributes, async (span) => {
      try {
        const result = await applyOnce(record, confirmed, job, passage, pending)
        span.setAttributes({ 'leocarte.outcome': result?.outcome ?? 'needs-attention' })
        return result
      } catch (error) {
        span.fail(error instanceof DownstreamError ? error.code : 'UNEXPECTED')
        throw error
      }
    })
  }

  /**
   * One attempt at the downstream; undefined when a permanent fault put the work in "needs attention".
   * Tells the breaker what the downstream did: answered (a success or a verdict on this card), or failed to serve.
   */
  async function applyOnce (record: CardRecord, confirmed: SyncRecord, job: Job<SyncJobData>, passage: Extract<Passage, { kind: 'pass' }>, pending: TimelineEntry[]): Promise<SyncResult | undefined> {
    const cardId = record.card.id
    const correlationId = record.eventId
    const jobLog = log.child({ cardId, correlationId, version: record.version })
    const calls: Array<Record<string, unknown>> = []
    let result: SyncResult
    try {
      result = await sync.apply(record, confirmed, {
        correlationId,
        log: jobLog,
        record: async (fields) => {
          // Kept for the run's confirmation or fault line, which record it in the same script.
          calls.push(fields)
          pending.push(timelineEntry('call', { downstream, correlationId, ...fields }))
        },
      })
    } catch (error) {
      // Masked before it goes anywhere (activity, attention, logs, the BullMQ failure reason): a
      // downstream's text may echo the holder's name.
      return await failed(maskedFault(asDownstreamError(error, downstream), record), { record, job, passage, calls, pending, jobLog })
    }
    await breakers.answered(downstream, passage, { forgetDoubt: true })
    return result
  }

  async function failed (fault: DownstreamError, run: { record: CardRecord, job: Job<SyncJobData>, passage: Extract<Passage, { kind: 'pass' }>, calls: Array<Record<string, unknown>>, pending: TimelineEntry[], jobLog: Logger }): Promise<undefined> {
    const { record, job, passage, calls, pending, jobLog } = run
    const cardId = record.card.id
    const message = fault.message.slice(0, MAX_MESSAGE)
    const attempt = job.attemptsMade + 1
    const entry = timelineEntry('fault', { downstream, correlationId: record.eventId, version: record.version, code: fault.code, message, transient: fault.transient, attempt })
    const repeated = await registry.recordFault(downstream, cardId, entry, runSignature(record.version, fault, calls), pending)
    pending.length = 0
    metrics.jobOutcomes.inc({ downstream, lane, outcome: fault.transient ? 'transient-fault' : 'permanent-fault', code: metricCode(fault.code) })

    let reason: string | undefined
    if (fault.transient) {
      // How long this answer has lasted: on this card (its coalesced fault line), or on every card of the
      // downstream (the breaker's doubt, as read when the job passed it).
      const since = Math.min(repeated.firstAtMs, passage.state.suspectSince > 0 ? passage.state.suspectSince : Number.POSITIVE_INFINITY)
      const lastedMs = Date.now() - since
      if (!fault.doubtful || lastedMs < config.doubtfulFaultMaxMs) {
        if (fault.outage) await breakers.failed(downstream, passage, fault)
        else await breakers.left(downstream, passage)
        jobLog.warn({ code: fault.code, attempt, repeated: repeated.count, err: message }, 'transient fault, will retry')
        throw fault
      }
      // A doubtful fault past its bound is a verdict: a human looks. The downstream keeps its doubt, so
      // that every other card meeting the same answer goes to "needs attention" at once too.
      reason = `the same answer for ${Math.round(lastedMs / 1000)} s (DOUBTFUL_FAULT_MAX_MS ${config.doubtfulFaultMaxMs}): no longer taken for a passing state`
      await breakers.answered(downstream, passage, { forgetDoubt: false })
    } else {
      await breakers.answered(downstream, passage, { forgetDoubt: true })
    }
    await registry.markAttention({
      downstream,
      cardId,
      version: record.version,
      lane,
      code: fault.code,
      message: reason === undefined ? message : `${message}; ${reason}`.slice(0, 2 * MAX_MESSAGE),
      ...(fault.httpStatus !== undefined ? { httpStatus: fault.httpStatus } : {}),
      ...(fault.field !== undefined ? { field: fault.field } : {}),
      correlationId: record.eventId,
      at: new Date().toISOString(),
      pendingSinceMs: record.acceptedAtMs,
    })
    await registry.appendActivity(downstream, cardId, timelineEntry('attention', { downstream, version: record.version, code: fault.code, ...(reason === undefined ? {} : { reason }) }))
    jobLog.error({ code: fault.code, httpStatus: fault.httpStatus, err: message }, 'permanent fault: work put in "needs attention"')
    return undefined
  }

  worker.on('completed', (job) => {
    // Closes the window where an event lands after the job's last look but before its id was freed.
    recheck(job.data.cardId).catch((error: unknown) => log.warn({ err: error, cardId: job.data.cardId }, 'recheck failed; the sweeper will cover it'))
  })
  worker.on('stalled', (jobId) => log.warn({ jobId }, 'job stalled (its worker died or blocked); it runs again'))
  worker.on('error', (error) => log.error({ err: error }, 'worker error'))

  async function recheck (cardId: string): Promise<void> {
    const standing = await registry.standing(downstream, cardId)
    if (standing.status === 'behind') await queues.wake(downstream, laneOf(standing.record), cardId)
  }

  return worker
}

/**
 * What makes two failed runs the same, so that the second is counted on the first's line: the version,
 * the fault (code, transient) and every call the run made with its answer.
 */
function runSignature (version: number, fault: DownstreamError, calls: Array<Record<string, unknown>>): string {
  return createHash('sha256').update(JSON.stringify([version, fault.code, fault.transient, calls])).digest('hex').slice(0, 16)
}

/**
 * Whether this run is the downstream acknowledging an opposition (the end of the opposition-lag clock):
 * the card is now held unusable there, removed from there, or there was nothing to oppose.
 */
function isOppositionDone (record: CardRecord, result: SyncResult): boolean {
  if (!OPPOSED_STATES.has(record.card.state)) return false
  return result.remoteState === 'opposed' || result.remoteState === 'absent' || result.outcome.startsWith('nothing-to-oppose')
}

function asDownstreamError (error: unknown, downstream: string): DownstreamError {
  if (error instanceof DownstreamError) return error
  // Anything unexpected (a bug, Redis hiccup) is retried rather than dropped; the fault log shows it. It
  // says nothing about the downstream, so it never counts towards its breaker.
  return new DownstreamError({
    downstream,
    code: 'UNEXPECTED',
    message: error instanceof Error ? error.message : String(error),
    transient: true,
    outage: false,
    cause: error,
  })
}
