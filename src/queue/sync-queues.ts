import { Queue, type JobsOptions, type Telemetry } from 'bullmq'
import type { Redis } from 'ioredis'
import type { DownstreamName, Lane } from '../domain/downstream.ts'
import { LANES } from '../domain/downstream.ts'
import { jobIdFor, queueName, type SyncJobData } from './lanes.ts'

/** Custom back-off registered on the workers (backoff.ts): BullMQ's built-in exponential has no cap. */
export const BACKOFF_TYPE = 'capped-jitter'

const JOB_OPTIONS: JobsOptions = {
  // Transient faults retry without limit in number (SPEC §6); permanent ones never throw to BullMQ.
  attempts: Number.MAX_SAFE_INTEGER,
  backoff: { type: BACKOFF_TYPE },
  // A finished job is removed so its id is free for the card's next wake-up.
  removeOnComplete: true,
  removeOnFail: false,
  // One stack trace, not one per retry: a job retried all day keeps a constant size in Redis.
  stackTraceLimit: 1,
}

/** The BullMQ queues, one per (downstream, lane), and the one way work is put on them. */
export class SyncQueues {
  readonly #queues = new Map<string, Queue<SyncJobData>>()
  readonly downstreams: readonly DownstreamName[]

  /** `telemetry` (tracing on): each add is a producer span, and the job carries its trace to the worker. */
  constructor (connection: Redis, prefix: string, downstreams: readonly DownstreamName[], onError: (error: Error) => void = () => {}, telemetry?: Telemetry) {
    this.downstreams = downstreams
    for (const downstream of downstreams) {
      for (const lane of LANES) {
        const name = queueName(downstream, lane)
        const queue = new Queue<SyncJobData>(name, {
          connection,
          prefix,
          streams: { events: { maxLen: 1000 } },
          ...(telemetry !== undefined ? { telemetry } : {}),
        })
        // A queue emits its connection's errors (Redis down at start-up): without a listener they would end the process.
        queue.on('error', onError)
        this.#queues.set(name, queue)
      }
    }
  }

  queue (downstream: DownstreamName, lane: Lane): Queue<SyncJobData> {
    const queue = this.#queues.get(queueName(downstream, lane))
    if (queue === undefined) throw new Error(`no queue for ${downstream}/${lane}`)
    return queue
  }

  all (): Queue<SyncJobData>[] {
    return [...this.#queues.values()]
  }

  /** Job counts by state, per queue name: what the admin API shows and the metrics export. */
  async jobCounts (): Promise<Record<string, Record<string, number>>> {
    const counts: Record<string, Record<string, number>> = {}
    for (const queue of this.all()) {
      counts[queue.name] = await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'failed')
    }
    return counts
  }

  /**
   * Wakes the sync of one card. A job already waiting for the card absorbs the wake-up: it reads the
   * desired state when it runs.
   */
  async wake (downstream: DownstreamName, lane: Lane, cardId: string): Promise<void> {
    await this.queue(downstream, lane).add('sync', { cardId }, { ...JOB_OPTIONS, jobId: jobIdFor(cardId) })
  }

  /** The sweeper's wake-up: also replaces a job BullMQ itself left failed, which would absorb it. */
  async rewake (downstream: DownstreamName, lane: Lane, cardId: string): Promise<void> {
    const job = await this.queue(downstream, lane).getJob(jobIdFor(cardId))
    if (job !== undefined && await job.isFailed()) await job.remove()
    await this.wake(downstream, lane, cardId)
  }

  /** Where a card's job of each lane lives in Redis, and each lane's failed set: what the sweep page script reads. */
  jobKeys (downstream: DownstreamName): { oppose: string, enable: string, opposeFailed: string, enableFailed: string } {
    const oppose = this.queue(downstream, 'oppose')
    const enable = this.queue(downstream, 'enable')
    return { oppose: oppose.toKey(''), enable: enable.toKey(''), opposeFailed: oppose.toKey('failed'), enableFailed: enable.toKey('failed') }
  }

  /** The sweeper's wake-ups, many at once: a job BullMQ left failed is replaced, as by rewake. */
  async rewakeMany (downstream: DownstreamName, cards: ReadonlyArray<{ cardId: string, lane: Lane }>): Promise<void> {
    for (const lane of LANES) {
      const queue = this.queue(downstream, lane)
      const ids = cards.filter((card) => card.lane === lane).map((card) => card.cardId)
      if (ids.length === 0) continue
      for (const cardId of ids) {
        const job = await queue.getJob(jobIdFor(cardId))
        if (job !== undefined && await job.isFailed()) await job.remove()
      }
      await queue.addBulk(ids.map((cardId) => ({ name: 'sync', data: { cardId }, opts: { ...JOB_OPTIONS, jobId: jobIdFor(cardId) } })))
    }
  }

  /** Whether some job for the card is waiting, delayed or running in `lane`. */
  async inFlight (downstream: DownstreamName, lane: Lane, cardId: string): Promise<boolean> {
    const state = await this.queue(downstream, lane).getJobState(jobIdFor(cardId))
    return state !== 'unknown' && state !== 'completed' && state !== 'failed'
  }

  async close (): Promise<void> {
    await Promise.all(this.all().map(async (queue) => await queue.close()))
  }
}
