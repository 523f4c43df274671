import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { parentPort } from 'node:worker_threads'
import { Pool } from 'undici'
import type { ClosedLoadJob, ClosedLoadResult, LoadJob, LoadResult, PacedJob, PacedResult, WorkerReply, WorkerRequest } from './protocol.ts'

/**
 * The load generator, in its own thread so that building requests and reading answers does not
 * compete with the server under test for the main event loop.
 */
if (parentPort === null) throw new Error('load-worker.ts runs as a worker thread')
const port = parentPort

port.on('message', (message: WorkerRequest) => {
  if ('stop' in message) {
    port.close()
    return
  }
  run(message.job).then(
    (result) => port.postMessage({ id: message.id, result } satisfies WorkerReply),
    (error: unknown) => port.postMessage({ id: message.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies WorkerReply),
  )
})

async function run (job: LoadJob): Promise<LoadResult> {
  return job.kind === 'closed' ? await closedLoop(job) : await paced(job)
}

function headersFor (signature: string, extra: Record<string, string> = { 'content-type': 'application/json' }): Record<string, string> {
  return signature === '' ? extra : { ...extra, 'x-signature': signature }
}

/** A fixed number of requests with `concurrency` in flight: throughput and latency. */
async function closedLoop (job: ClosedLoadJob): Promise<ClosedLoadResult> {
  const pool = new Pool(job.origin, { connections: job.connections, pipelining: 1 })
  const statuses: Record<string, number> = {}
  const eventStatuses: Record<string, number> = {}
  const variants = job.paths?.length ?? job.bodies.length
  const requests = variants * (job.repeat ?? 1)
  const method = job.method ?? 'POST'
  const headers = job.headers === undefined ? undefined : { ...(method !== 'GET' ? { 'content-type': 'application/json' } : {}), ...job.headers }
  const latenciesMs = new Array<number>(requests)
  let next = 0
  const eluStart = performance.eventLoopUtilization()
  const started = performance.now()

  async function lane (): Promise<void> {
    for (;;) {
      const index = next++
      if (index >= requests) return
      const variant = index % variants
      const t0 = performance.now()
      const response = await pool.request({
        method,
        path: job.paths?.[variant] ?? job.path,
        headers: headersFor(job.signatures[variant] ?? '', headers),
        ...(method !== 'GET' ? { body: job.bodies[variant] } : {}),
      })
      const text = await response.body.text()
      latenciesMs[index] = performance.now() - t0
      statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1
      if (job.countBatchResults && response.statusCode === 202) {
        const parsed = JSON.parse(text) as { results?: Array<{ status: string }> }
        for (const result of parsed.results ?? []) eventStatuses[result.status] = (eventStatuses[result.status] ?? 0) + 1
      }
    }
  }

  try {
    await Promise.all(Array.from({ length: Math.min(job.concurrency, requests) }, lane))
  } finally {
    await pool.close()
  }
  const elapsedMs = performance.now() - started
  return { kind: 'closed', requests, elapsedMs, statuses, eventStatuses, latenciesMs, clientElu: performance.eventLoopUtilization(eluStart).utilization }
}

/** Open loop: request k leaves at start + k * intervalMs, however slowly the earlier ones are answered. */
async function paced (job: PacedJob): Promise<PacedResult> {
  const pool = new Pool(job.origin, { connections: job.connections, pipelining: 1 })
  const startedAt: number[] = []
  const answeredAt: number[] = []
  const statuses: number[] = []
  let maxScheduleLagMs = 0
  const origin = performance.now() + 20
  const inFlight: Array<Promise<void>> = []
  try {
    for (let index = 0; index < job.bodies.length; index++) {
      const due = origin + index * job.intervalMs
      const wait = due - performance.now()
      if (wait > 0) await sleep(wait)
      maxScheduleLagMs = Math.max(maxScheduleLagMs, performance.now() - due)
      startedAt[index] = Date.now()
      inFlight.push((async () => {
        const response = await pool.request({ method: 'POST', path: job.path, headers: headersFor(job.signatures[index] ?? ''), body: job.bodies[index] })
        await response.body.text()
        answeredAt[index] = Date.now()
        statuses[index] = response.statusCode
      })())
    }
    await Promise.all(inFlight)
  } finally {
    await pool.close()
  }
  return { kind: 'paced', startedAt, answeredAt, statuses, maxScheduleLagMs }
}
