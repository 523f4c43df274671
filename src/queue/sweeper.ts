import type { Logger } from 'pino'
import type { DownstreamName } from '../domain/downstream.ts'
import { laneOf } from '../domain/downstream.ts'
import type { Registry } from '../registry/registry.ts'
import type { SyncQueues } from './sync-queues.ts'

export interface SweeperOptions {
  registry: Registry
  queues: SyncQueues
  downstreams: readonly DownstreamName[]
  intervalMs: number
  logger: Logger
  /** Cards looked at per downstream and pass. Default 500. */
  batchSize?: number
}

export interface Sweeper {
  /** One pass over every downstream; returns how many cards were re-enqueued. */
  sweep (): Promise<number>
  stop (): Promise<void>
}

/**
 * Re-enqueues every card whose desired version is ahead of a downstream's confirmed version with no
 * job in flight, so a crash between intake's write and its wake-up (or a lost job) loses nothing.
 * Cards waiting for an operator (needs attention at their current version) are left alone.
 */
export function startSweeper (options: SweeperOptions): Sweeper {
  const { registry, queues, downstreams, intervalMs, logger } = options
  const batchSize = options.batchSize ?? 500
  const log = logger.child({ component: 'sweeper' })
  let running: Promise<number> | undefined
  let stopped = false

  async function sweepDownstream (downstream: DownstreamName): Promise<number> {
    // Cards marked within the last interval are most likely being handled by their own job.
    const cards = await registry.listDirty(downstream, Date.now() - intervalMs, batchSize)
    let woken = 0
    for (const cardId of cards) {
      const standing = await registry.standing(downstream, cardId)
      if (standing.status === 'behind') {
        const lane = laneOf(standing.record)
        if (!await queues.inFlight(downstream, lane, cardId)) {
          await queues.rewake(downstream, lane, cardId)
          woken++
        }
      }
      await registry.touchDirty(downstream, cardId)
    }
    return woken
  }

  async function sweep (): Promise<number> {
    let woken = 0
    for (const downstream of downstreams) woken += await sweepDownstream(downstream)
    if (woken > 0) log.info({ woken }, 'sweeper re-enqueued lagging cards')
    return woken
  }

  const timer = setInterval(() => {
    if (running !== undefined || stopped) return
    running = sweep().catch((error: unknown) => {
      log.warn({ err: error }, 'sweep failed; next pass retries')
      return 0
    }).finally(() => { running = undefined })
  }, intervalMs)
  timer.unref()

  return {
    sweep,
    async stop () {
      stopped = true
      clearInterval(timer)
      await running
    },
  }
}
