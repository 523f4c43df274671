import type { Gateway } from '../../src/app/gateway.ts'
import type { DownstreamName } from '../../src/domain/downstream.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { createSweeper } from '../../src/queue/sweeper.ts'
import { waitFor } from './wait.ts'

/**
 * Drives a gateway to rest, so that "nothing else happened" can be asserted: until the queues of the
 * given downstreams (default all) hold no job waiting, delayed or running, and a whole sweep pass finds no
 * card behind without a job. From then on nothing more happens without new input: an assertion made now
 * cannot pass merely because the unwanted call has not come yet (as one after a fixed sleep can).
 * Works on an API-only gateway too (its sweeps run here), with the workers in another process.
 */
export async function driveToRest (gateway: Pick<Gateway, 'registry' | 'queues'>, options: { downstreams?: readonly DownstreamName[], timeoutMs?: number } = {}): Promise<void> {
  const downstreams = options.downstreams ?? gateway.queues.downstreams
  const sweeper = createSweeper({ registry: gateway.registry, queues: gateway.queues, downstreams, logger: createLogger('silent') })
  const busy = async (): Promise<number> => {
    let jobs = 0
    for (const downstream of downstreams) {
      for (const lane of ['oppose', 'enable'] as const) {
        const counts = await gateway.queues.queue(downstream, lane).getJobCounts('wait', 'prioritized', 'active', 'delayed')
        jobs += Object.values(counts).reduce((sum, count) => sum + count, 0)
      }
    }
    return jobs
  }
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  for (;;) {
    await waitFor('the queues to drain', async () => await busy() === 0, Math.max(1, deadline - Date.now()))
    const woken = await sweeper.sweep()
    if (woken === 0 && await busy() === 0) return
    if (Date.now() > deadline) throw new Error('the gateway did not come to rest')
  }
}
