/** Messages between the benchmark (main thread) and the load generator (a worker thread). */

export interface ClosedLoadJob {
  kind: 'closed'
  origin: string
  path: string
  bodies: string[]
  /** X-Signature per body; empty string sends none. */
  signatures: string[]
  /** Requests kept in flight. */
  concurrency: number
  connections: number
  /** Parse each answer as a batch answer and count its per-event statuses. */
  countBatchResults: boolean
  /** Send the bodies this many times over (only for servers that do not care about duplicates). @defaultValue 1 */
  repeat?: number
  /** @defaultValue 'POST' */
  method?: 'GET' | 'POST' | 'PATCH'
  /** One path per request, used in turn instead of `path` (GET runs have no bodies: these set the count). */
  paths?: string[]
  /** Headers sent with every request, on top of (or instead of) the JSON content type. */
  headers?: Record<string, string>
}

export interface PacedJob {
  kind: 'paced'
  origin: string
  path: string
  bodies: string[]
  signatures: string[]
  /** Request k starts at start + k * intervalMs, whatever the answers do. */
  intervalMs: number
  connections: number
}

export type LoadJob = ClosedLoadJob | PacedJob

export interface ClosedLoadResult {
  kind: 'closed'
  requests: number
  elapsedMs: number
  /** HTTP status → count. */
  statuses: Record<string, number>
  /** Batch answers only: per-event status → count. */
  eventStatuses: Record<string, number>
  latenciesMs: number[]
  /** Event-loop utilisation of the load generator thread (0..1). */
  clientElu: number
}

export interface PacedResult {
  kind: 'paced'
  /** Epoch ms (Date.now) just before each request was sent. */
  startedAt: number[]
  /** Epoch ms when its answer was complete. */
  answeredAt: number[]
  statuses: number[]
  /** How late, at most, a request left compared to its schedule (load generator lag). */
  maxScheduleLagMs: number
}

export type LoadResult = ClosedLoadResult | PacedResult

export type WorkerRequest = { id: number, job: LoadJob } | { id: number, stop: true }
export type WorkerReply = { id: number, result: LoadResult } | { id: number, error: string }
