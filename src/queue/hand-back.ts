import type { Worker } from 'bullmq'
import type { Logger } from 'pino'

/** Thrown inside a job when the process is shutting down and the job goes back to the queue unfinished. */
export class HandedBack extends Error {
  constructor () {
    super('shutting down: job handed back')
    this.name = 'HandedBack'
  }
}

/**
 * Waits for `work`, unless `signal` aborts first (BullMQ's cancelAllJobs): then rejects with HandedBack
 * and leaves `work` to run out unobserved. A downstream call abandoned so may still land; every call is
 * idempotent, and the worker that takes the job over asserts the card's desired state again.
 */
export async function unlessHandedBack<T> (work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return await work
  // The abandoned work's outcome is nobody's business any more: never an unhandled rejection.
  const abandon = (): void => { void work.catch(() => {}) }
  if (signal.aborted) {
    abandon()
    throw new HandedBack()
  }
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      abandon()
      reject(new HandedBack())
    }
    signal.addEventListener('abort', onAbort, { once: true })
    void work.then((value) => {
      signal.removeEventListener('abort', onAbort)
      resolve(value)
    }, (error: unknown) => {
      signal.removeEventListener('abort', onAbort)
      reject(error)
    })
  })
}

/**
 * Closes the workers: they stop taking jobs and the running ones may finish until `handBackAt` (epoch
 * ms); any still running then is handed back (moved to wait, its card lease released), so another worker
 * takes it at once instead of after its lock lapses (JOB_LOCK_MS).
 */
export async function closeWorkers (workers: readonly Worker[], handBackAt: number | undefined, logger: Logger): Promise<void> {
  const timer = handBackAt === undefined
    ? undefined
    : setTimeout(() => {
      logger.warn('shutdown: jobs still running are handed back to the queue')
      for (const worker of workers) worker.cancelAllJobs('shutting down')
    }, Math.max(0, handBackAt - Date.now()))
  try {
    await Promise.all(workers.map(async (worker) => await worker.close()))
  } finally {
    clearTimeout(timer)
  }
}
