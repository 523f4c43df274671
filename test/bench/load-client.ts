import { Worker } from 'node:worker_threads'
import type { ClosedLoadJob, ClosedLoadResult, LoadJob, LoadResult, PacedJob, PacedResult, WorkerReply } from './protocol.ts'

/** The main thread's handle on the load generator thread. */
export class LoadClient {
  readonly #worker: Worker
  readonly #pending = new Map<number, { resolve: (result: LoadResult) => void, reject: (error: Error) => void }>()
  #nextId = 0

  constructor () {
    this.#worker = new Worker(new URL('./load-worker.ts', import.meta.url))
    this.#worker.on('message', (reply: WorkerReply) => {
      const waiting = this.#pending.get(reply.id)
      if (waiting === undefined) return
      this.#pending.delete(reply.id)
      if ('error' in reply) waiting.reject(new Error(`load generator: ${reply.error}`))
      else waiting.resolve(reply.result)
    })
    this.#worker.on('error', (error) => {
      for (const waiting of this.#pending.values()) waiting.reject(error)
      this.#pending.clear()
    })
  }

  async closed (job: Omit<ClosedLoadJob, 'kind'>): Promise<ClosedLoadResult> {
    return await this.#send({ kind: 'closed', ...job }) as ClosedLoadResult
  }

  async paced (job: Omit<PacedJob, 'kind'>): Promise<PacedResult> {
    return await this.#send({ kind: 'paced', ...job }) as PacedResult
  }

  async #send (job: LoadJob): Promise<LoadResult> {
    const id = this.#nextId++
    return await new Promise<LoadResult>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#worker.postMessage({ id, job })
    })
  }

  async close (): Promise<void> {
    await this.#worker.terminate()
  }
}
