/**
 * Phase 6 of `npm run bench`: scale-out. Oppositions and enablements drained per second with 1, 2 and 4
 * worker processes (separate OS processes, `node src/main.ts` with GATEWAY_ROLE=worker) on one Redis,
 * Izly simulator latency 20 ms per call, while an API process (GATEWAY_ROLE=api) takes a steady intake.
 * Each run meets the same backlog (oppositions of cards Izly holds, enablements of new cards), posted
 * before its workers start. Redis is a private redis-server (AOF on, everysec), so its CPU and memory
 * are this phase's alone: they give the capacity of one primary, in cards and events per second.
 */
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { startLocalRedis } from '../../src/app/local-redis.ts'
import { CARD_EVENTS_BATCH_PATH } from '../../src/intake/sgc-routes.ts'
import { signBody } from '../../src/intake/signature.ts'
import type { RecordedCall } from '../../src/simulators/izly/controls.ts'
import { type IzlySimulator, startIzlySimulator } from '../../src/simulators/izly/server.ts'
import { type ChildGateway, startChildGateway } from '../helpers/child-gateway.ts'
import { TEST_SECRET, testEnv } from '../helpers/gateway.ts'
import { deleteKeys, uniquePrefix } from '../helpers/redis.ts'
import { benchEvent, izlySeedOf, range } from './events.ts'
import type { Row } from './stats.ts'

export interface ScaleOutOptions {
  /** Worker process counts to run, in order; the first is the baseline. */
  workerCounts: number[]
  /** Oppositions and enablements waiting when the workers start. */
  backlog: number
  /** How long the drain is measured, ms. */
  windowMs: number
  /** Events per second the API takes meanwhile (half oppositions, half enablements, new cards). */
  intakePerSecond: number
  izlyLatencyMs: number
  /** Jobs at once per lane and worker process (OPPOSE_CONCURRENCY, ENABLE_CONCURRENCY). */
  concurrency: { oppose: number, enable: number }
  /** Time given to freshly started workers before the window opens, ms. */
  warmupMs: number
}

interface RunResult {
  workers: number
  oppositionsPerSecond: number
  enablementsPerSecond: number
  intakeEvents: number
  /** Redis CPU seconds per card synced (intake and sync work together). */
  redisCpuPerCardMs: number
  workerCores: number
  apiCores: number
  /** Busy share of this process's event loop, where the Izly simulator runs. */
  simulatorElu: number
  dried: boolean
}

/** Production queue timings (the test ones sweep every 300 ms). */
const PRODUCTION = { SWEEP_INTERVAL_MS: '10000', STALLED_CHECK_MS: '15000', JOB_LOCK_MS: '60000', IZLY_TIMEOUT_MS: '30000', REDIS_POLICY_CHECK: 'refuse' }
/** Series digits of this phase's cards (run.ts uses 1-5). */
const SERIES = { backlogOppose: 6, backlogEnable: 7, intake: 8, memory: 9 } as const
const BATCH = 500

/** CPU seconds a process used so far (Linux /proc, USER_HZ 100); NaN elsewhere. */
function cpuSeconds (pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid ?? 0}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return Number.NaN
  }
}

async function postBatches (url: string, events: unknown[], concurrency = 2): Promise<void> {
  const batches = range(0, Math.ceil(events.length / BATCH)).map((index) => events.slice(index * BATCH, (index + 1) * BATCH))
  const next = async (): Promise<void> => {
    for (let batch = batches.shift(); batch !== undefined; batch = batches.shift()) {
      const body = JSON.stringify({ events: batch })
      const response = await fetch(`${url}${CARD_EVENTS_BATCH_PATH}`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-signature': signBody(TEST_SECRET, body) } })
      if (response.status !== 202) throw new Error(`batch intake answered ${response.status}: ${await response.text()}`)
    }
  }
  await Promise.all(range(0, concurrency).map(next))
}

function effective (izly: IzlySimulator, from: number, to: number): { opposed: number, registered: number, last: number } {
  let opposed = 0
  let registered = 0
  let last = from
  for (const call of izly.calls as RecordedCall[]) {
    if (call.at < from || call.at > to || call.httpStatus !== 200) continue
    if (call.operation === 'OpposeSmartCard' && call.result === 'OPPOSED') opposed++
    else if (call.operation === 'RegisterSmartCard' && call.result === 'REGISTERED') registered++
    else continue
    last = Math.max(last, call.at)
  }
  return { opposed, registered, last }
}

async function oneRun (workers: number, options: ScaleOutOptions, redisUrl: string, redisPid: number | undefined, izly: IzlySimulator, log: (line: string) => void): Promise<RunResult> {
  const prefix = uniquePrefix()
  const concurrency = { OPPOSE_CONCURRENCY: String(options.concurrency.oppose), ENABLE_CONCURRENCY: String(options.concurrency.enable) }
  const env = (role: string): Record<string, string> => ({ ...testEnv({ izlyEndpoint: izly.url, prefix, role, redisUrl, extra: { ...PRODUCTION, ...concurrency } }), LOG_LEVEL: 'warn' })
  izly.reset()
  izly.setLatency(options.izlyLatencyMs)
  const tag = `w${workers}`
  const oppositions = range(0, options.backlog).map((index) => benchEvent(SERIES.backlogOppose, workers * 1e6 + index, 'DISABLED'))
  for (const event of oppositions) izly.putCard(izlySeedOf(event))
  const enablements = range(0, options.backlog).map((index) => benchEvent(SERIES.backlogEnable, workers * 1e6 + index, 'ENABLED'))
  const children: ChildGateway[] = []
  const admin = new Redis(redisUrl, { lazyConnect: true })
  await admin.connect()
  try {
    const api = await startChildGateway(undefined, env('api'))
    children.push(api)
    await postBatches(api.url, [...oppositions, ...enablements])
    log(`  ${tag}: backlog of ${options.backlog} oppositions and ${options.backlog} enablements queued; starting ${workers} worker process(es)`)
    children.push(...await Promise.all(range(0, workers).map(async () => await startChildGateway(undefined, env('worker')))))

    // Steady intake of new cards while the workers drain; the window opens after the workers' warm-up.
    const intakeStarted = Date.now()
    const started = intakeStarted + options.warmupMs
    let cpuStart = { redis: 0, api: 0, workers: 0 }
    let elu = performance.eventLoopUtilization()
    const cpuAt = (): { redis: number, api: number, workers: number } => ({
      redis: cpuSeconds(redisPid),
      api: cpuSeconds(api.process.pid),
      workers: children.slice(1).reduce((sum, child) => sum + cpuSeconds(child.process.pid), 0),
    })
    let intakeEvents = 0
    const perTick = Math.max(2, Math.round(options.intakePerSecond / 10))
    let opened = false
    for (let tick = 0; Date.now() - started < options.windowMs; tick++) {
      if (!opened && Date.now() >= started) {
        opened = true
        cpuStart = cpuAt()
        elu = performance.eventLoopUtilization()
      }
      const events = range(0, perTick).map((index) => benchEvent(SERIES.intake, workers * 1e6 + tick * perTick + index, index % 2 === 0 ? 'ENABLED' : 'DISABLED'))
      await postBatches(api.url, events, 1)
      if (opened) intakeEvents += events.length
      await sleep(Math.max(0, intakeStarted + (tick + 1) * 100 - Date.now()))
    }
    const ended = Date.now()
    const cpuEnd = cpuAt()
    const simulatorElu = performance.eventLoopUtilization(elu).utilization
    const done = effective(izly, started, ended)
    const windowS = (ended - started) / 1000
    // Ran dry: every backlog card of a lane was done before the window closed.
    const dried = effective(izly, 0, ended).opposed >= options.backlog || effective(izly, 0, ended).registered >= options.backlog
    return {
      workers,
      oppositionsPerSecond: done.opposed / windowS,
      enablementsPerSecond: done.registered / windowS,
      intakeEvents,
      redisCpuPerCardMs: (cpuEnd.redis - cpuStart.redis) * 1000 / Math.max(1, done.opposed + done.registered + intakeEvents),
      workerCores: (cpuEnd.workers - cpuStart.workers) / windowS,
      apiCores: (cpuEnd.api - cpuStart.api) / windowS,
      simulatorElu,
      dried,
    }
  } finally {
    for (const child of children) child.process.kill('SIGKILL')
    await Promise.all(children.map(async (child) => await child.exited))
    await deleteKeys(admin, prefix)
    admin.disconnect()
  }
}

/** Bytes of Redis per card once synced: the cards' keys under a fresh prefix, by MEMORY USAGE. */
async function memoryPerCard (redisUrl: string, izly: IzlySimulator, cards: number): Promise<{ bytes: number, keysPerCard: number }> {
  const prefix = uniquePrefix()
  izly.reset()
  const env = (role: string): Record<string, string> => ({ ...testEnv({ izlyEndpoint: izly.url, prefix, role, redisUrl, extra: PRODUCTION }), LOG_LEVEL: 'warn' })
  const enabled = range(0, cards).map((index) => benchEvent(SERIES.memory, index, 'ENABLED'))
  const redis = new Redis(redisUrl)
  const gateway = await startChildGateway(undefined, env('all'))
  try {
    await postBatches(gateway.url, enabled)
    // Every card synced: no dirty mark left, no job left.
    for (;;) {
      const dirty = await redis.zcard(`${prefix}:dirty:izly`)
      const waiting = await redis.llen(`${prefix}:bull:izly-enable:wait`) + await redis.llen(`${prefix}:bull:izly-enable:active`)
      if (dirty === 0 && waiting === 0 && effective(izly, 0, Number.MAX_SAFE_INTEGER).registered >= cards) break
      await sleep(200)
    }
    let bytes = 0
    let keys = 0
    let cursor = '0'
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      cursor = next
      for (const key of batch) {
        // BullMQ's own bookkeeping (events stream, meta) is per queue, not per card.
        if (key.includes(':bull:')) continue
        bytes += Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0') ?? 0)
        keys++
      }
    } while (cursor !== '0')
    return { bytes: bytes / cards, keysPerCard: keys / cards }
  } finally {
    gateway.process.kill('SIGKILL')
    await gateway.exited
    await deleteKeys(redis, prefix)
    redis.disconnect()
  }
}

export async function benchScaleOut (options: ScaleOutOptions, log: (line: string) => void = console.log): Promise<{ rows: Row[], notes: string[] }> {
  const redis = await startLocalRedis()
  const izly = await startIzlySimulator({ host: '127.0.0.1', port: 0 })
  const notes: string[] = []
  try {
    const results: RunResult[] = []
    for (const workers of options.workerCounts) results.push(await oneRun(workers, options, redis.url, redis.process.pid, izly, log))
    const memory = await memoryPerCard(redis.url, izly, Math.min(2_000, options.backlog))
    const base = results[0] as RunResult
    const rows: Row[] = []
    for (const result of results) {
      rows.push(
        { measure: `scale-out: oppositions drained/s, ${result.workers} worker process(es)`, gateway: result.oppositionsPerSecond, baseline: base.oppositionsPerSecond, unit: `cards/s (vs ${base.workers})` },
        { measure: `scale-out: enablements drained/s, ${result.workers} worker process(es)`, gateway: result.enablementsPerSecond, baseline: base.enablementsPerSecond, unit: `cards/s (vs ${base.workers})` },
      )
      notes.push(`phase 8, ${result.workers} worker(s): workers used ${result.workerCores.toFixed(2)} cores, the API ${result.apiCores.toFixed(2)} (taking ${(result.intakeEvents / (options.windowMs / 1000)).toFixed(0)} events/s), the Izly simulator's thread was ${(result.simulatorElu * 100).toFixed(0)} % busy; Redis ${result.redisCpuPerCardMs.toFixed(3)} ms CPU per card${result.dried ? '; a backlog ran dry inside the window, so that figure is a lower bound' : ''}`)
    }
    const redisMs = results.reduce((sum, result) => sum + result.redisCpuPerCardMs, 0) / results.length
    rows.push(
      { measure: 'scale-out: Redis CPU per card (intake + sync), mean of the runs', gateway: redisMs, baseline: Number.NaN, unit: 'ms', digits: 3 },
      { measure: 'scale-out: cards/s one Redis core carries (1 / the above)', gateway: 1000 / redisMs, baseline: Number.NaN, unit: 'cards/s' },
      { measure: 'scale-out: Redis memory per synced card (MEMORY USAGE, its keys)', gateway: memory.bytes, baseline: Number.NaN, unit: `bytes (${memory.keysPerCard.toFixed(1)} keys)` },
      { measure: 'scale-out: cards per GiB of Redis at that size', gateway: 2 ** 30 / memory.bytes, baseline: Number.NaN, unit: 'cards' },
    )
    return { rows, notes }
  } finally {
    await izly.close()
    await redis.stop('SIGTERM', true)
  }
}
