/**
 * `npm run bench`: intake throughput and opposition latency of the gateway, each next to a baseline
 * measured in the same run. Not a test (no timed assertions); tap does not pick test/bench up.
 *
 * The server side (gateway, Izly simulator, bare baseline) runs on the main thread, as in production
 * where one process serves; the HTTP load comes from a worker thread (load-worker.ts) so that the
 * client does not compete for the server's event loop. Redis is the one on REDIS_URL / 127.0.0.1:6379.
 *
 * BENCH_QUICK=1 divides every count by ten, to try the script out; BENCH_PHASES=1,3 runs only those
 * phases (1 single intake, 2 batch intake, 3 opposition latency, 4 ESC client, 5 validity REST/SOAP,
 * 6 oppositions drained by one worker process over each Izly transport, 7 /health/live under hostile bodies,
 * 8 scale-out over 1, 2 and 4 worker processes, see scale-out-bench.ts, 9 intake and validity with Izly
 * up vs down with 20,000 pending: outage-bench.ts, 10 ESC Router façade write latency, router up and down:
 * esc-facade-bench.ts, 11 API CROUS façade write latency with Izly up and down: facade-bench.ts, 12 validity REST with rate limits on vs off: rate-limit-bench.ts),
 * e.g. under --cpu-prof.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { type Gateway, startGateway } from '../../src/app/gateway.ts'
import { loadConfig } from '../../src/config/load.ts'
import { CARD_EVENTS_BATCH_PATH, CARD_EVENTS_PATH } from '../../src/intake/sgc-routes.ts'
import { createLogger } from '../../src/observability/logger.ts'
import type { RecordedCall } from '../../src/simulators/izly/controls.ts'
import { type IzlySimulator, startIzlySimulator } from '../../src/simulators/izly/server.ts'
import { TEST_SECRET, testEnv } from '../helpers/gateway.ts'
import { cleanPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.ts'
import { BARE_PATH, startBareServer } from './bare.ts'
import { benchEscClient } from './esc-client-bench.ts'
import { benchEscFacade } from './esc-facade-bench.ts'
import { benchIzlyTransports } from './izly-transport-bench.ts'
import { benchHostileBodies } from './hostile-body-bench.ts'
import { benchOutage } from './outage-bench.ts'
import { benchRateLimits } from './rate-limit-bench.ts'
import { benchValidity } from './validity-bench.ts'
import { benchFacade } from './facade-bench.ts'
import { benchScaleOut } from './scale-out-bench.ts'
import { benchEvent, benchIdZdc, izlySeedOf, range, signAll } from './events.ts'
import { LoadClient } from './load-client.ts'
import type { ClosedLoadResult } from './protocol.ts'
import { machineLine, percentile, type ProbeResult, type Row, renderResults, renderTable, startProbe, waitForQuiet } from './stats.ts'

const SCALE = process.env.BENCH_QUICK === '1' ? 0.1 : 1
const scaled = (count: number): number => Math.max(1, Math.round(count * SCALE))
const PHASES = new Set((process.env.BENCH_PHASES ?? '1,2,3,4,5,6,7,8,9,10,11,12').split(',').map((phase) => phase.trim()))

const SINGLE = { warmup: scaled(2_000), requests: scaled(20_000), concurrency: 64, connections: 32 }
const BATCH = {
  warmup: 2,
  batches: scaled(40),
  size: 1000,
  concurrency: 4,
  connections: 4,
  /** The bare server takes the same batch bodies this many times over, so that its run lasts long enough to time. */
  baselineRepeat: 10,
}
const OPPOSE = {
  warmup: 20,
  count: 200,
  spacingMs: 20,
  backlog: scaled(10_000),
  backlogBatchConcurrency: 2,
  izlyLatencyMs: 5,
  /** How long to wait for the last opposition to reach Izly before giving up. */
  timeoutMs: 90_000,
}
/** Series digits keep every phase's cards (and idZdc) apart. */
const SERIES = { single: 1, batch: 2, idleOppose: 3, backlogOppose: 4, backlog: 5 } as const

/** The Izly endpoint of API-only gateways: never called (no workers), but the config requires one. */
const UNUSED_IZLY = 'http://127.0.0.1:9/izly'
/** Phase 3 runs the production queue timings, not the test ones (a 300 ms sweep would scan the backlog non-stop). */
const PRODUCTION_TIMINGS = { SWEEP_INTERVAL_MS: '10000', STALLED_CHECK_MS: '15000', JOB_LOCK_MS: '60000', IZLY_TIMEOUT_MS: '30000' }

interface Diagnostic {
  run: string
  events: number
  probe: ProbeResult
  clientElu?: number
}

/** Time the whole run may spend waiting for other processes to calm down before a measured stretch. */
const quietBudget = { ms: 60_000 }

const rows: Row[] = []
const diagnostics: Diagnostic[] = []
const notes: string[] = []

async function main (): Promise<void> {
  const began = Date.now()
  console.log(machineLine())
  console.log(`redis: ${REDIS_URL}${SCALE !== 1 ? '   (BENCH_QUICK: counts divided by 10)' : ''}`)
  console.log('')

  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await redis.connect()
  const load = new LoadClient()
  const bare = await startBareServer()
  try {
    if (PHASES.has('1')) await singleIntake(redis, load, bare.url)
    if (PHASES.has('2')) await batchIntake(redis, load, bare.url)
    if (PHASES.has('3')) await oppositionLatency(redis, load)
    if (PHASES.has('4')) await escClient()
    if (PHASES.has('5')) await validity()
    if (PHASES.has('6')) await izlyTransports()
    if (PHASES.has('7')) await hostileBodies()
    if (PHASES.has('8')) await scaleOut()
    if (PHASES.has('9')) await outage(redis, load)
    if (PHASES.has('10')) await escFacade()
    if (PHASES.has('11')) {
      console.log('phase 11: API CROUS façade C8 latency, Izly up and down; baseline bare Fastify doing the same Redis work')
      await waitForQuiet(quietBudget)
      rows.push(...await benchFacade())
    }
    if (PHASES.has('12')) await rateLimits()
  } finally {
    await bare.close()
    await load.close()
    redis.disconnect()
  }

  console.log('')
  console.log(renderResults(rows))
  console.log('')
  console.log('Where the time went (main thread = gateway or bare server, plus the Izly simulator in phase 3; the load generator has its own thread):')
  console.log(renderTable(
    ['run', 'wall s', 'main-thread busy', 'loop delay p99 ms', 'node CPU (cores)', 'load-gen busy', 'redis CPU (cores)', 'redis cmds/event', 'other CPU (cores)'],
    diagnostics.map(({ run, events, probe, clientElu }) => [
      run,
      (probe.wallMs / 1000).toFixed(1),
      `${(probe.mainElu * 100).toFixed(0)} %`,
      probe.loopDelayP99Ms.toFixed(1),
      probe.processCores.toFixed(2),
      clientElu === undefined ? '-' : `${(clientElu * 100).toFixed(0)} %`,
      probe.redisCores.toFixed(2),
      events > 0 ? (probe.redisCommands / events).toFixed(1) : '-',
      Number.isFinite(probe.otherCores) ? probe.otherCores.toFixed(2) : 'n/a',
    ]),
    [false, true, true, true, true, true, true, true, true],
  ))
  const busiest = Math.max(...diagnostics.map(({ probe }) => probe.otherCores).filter(Number.isFinite), 0)
  if (busiest > 0.2) notes.push(`other processes used up to ${busiest.toFixed(2)} cores during a measured run (see "other CPU"): figures from this run are disturbed`)
  if (notes.length > 0) {
    console.log('')
    for (const note of notes) console.log(`note: ${note}`)
  }
  console.log('')
  console.log(`total run time ${((Date.now() - began) / 1000).toFixed(0)} s (of which ${((60_000 - Math.max(0, quietBudget.ms)) / 1000).toFixed(0)} s waiting for other processes to go quiet)`)
}

// --- Phase 4 and 5: the ESC client and the validity service (their own modules) ------------------

async function escClient (): Promise<void> {
  console.log('phase 4: ESC person upserts through the client against the router simulator, 16 in flight; baseline raw undici to bare Fastify')
  await waitForQuiet(quietBudget)
  const result = await benchEscClient()
  rows.push({ measure: 'ESC client: upserts through client + simulator', gateway: result.callsPerSecond, baseline: result.baselineCallsPerSecond, unit: 'calls/s' })
  if (result.note !== '') notes.push(`phase 4: ${result.note}`)
}

async function escFacade (): Promise<void> {
  console.log('phase 10: ESC Router façade card POSTs (ESUP-SGC\'s E5), 4 in flight, router up then down; baseline the same bodies to bare Fastify')
  await waitForQuiet(quietBudget)
  const result = await benchEscFacade()
  rows.push({ measure: 'ESC façade write p50, router up', gateway: result.up.p50, baseline: result.baseline.p50, unit: 'ms', digits: 2 })
  rows.push({ measure: 'ESC façade write p99, router up', gateway: result.up.p99, baseline: result.baseline.p99, unit: 'ms', digits: 2 })
  rows.push({ measure: 'ESC façade write p50, router down', gateway: result.down.p50, baseline: result.baseline.p50, unit: 'ms', digits: 2 })
  rows.push({ measure: 'ESC façade write p99, router down', gateway: result.down.p99, baseline: result.baseline.p99, unit: 'ms', digits: 2 })
  notes.push(`phase 10: ${result.note}`)
}

async function validity (): Promise<void> {
  console.log('phase 5: validity REST and SOAP at saturation, and a foreign card with a warm router cache; baseline bare Fastify')
  await waitForQuiet(quietBudget)
  for (const row of await benchValidity()) rows.push({ ...row, digits: row.unit === 'ms' ? 1 : 0 })
}

async function rateLimits (): Promise<void> {
  console.log('phase 12: validity REST at saturation with RATE_LIMITS=on (limits out of reach: every request counted in Redis) beside RATE_LIMITS=off, alternated')
  await waitForQuiet(quietBudget)
  const figures = await benchRateLimits()
  rows.push(
    { measure: 'validity REST throughput, rate limits on (baseline: off)', gateway: figures.onPerSecond, baseline: figures.offPerSecond, unit: 'requests/s' },
    { measure: 'validity REST latency p99, rate limits on (baseline: off)', gateway: figures.onP99Ms, baseline: figures.offP99Ms, unit: 'ms', digits: 1 },
  )
}

async function izlyTransports (): Promise<void> {
  console.log('phase 6: oppositions drained by one worker process over SOAP and over the API CROUS (REST); baseline raw undici to bare Fastify')
  const result = await benchIzlyTransports({ beforeMeasure: async () => { await waitForQuiet(quietBudget) } })
  rows.push(
    { measure: 'oppositions drained by one worker process, SOAP', gateway: result.soapPerSecond, baseline: result.baselinePerSecond, unit: 'oppositions/s' },
    { measure: 'oppositions drained by one worker process, API CROUS (REST)', gateway: result.restPerSecond, baseline: result.baselinePerSecond, unit: 'oppositions/s' },
    { measure: 'Izly SOAP client alone (no queue, no registry)', gateway: result.soapClientPerSecond, baseline: result.baselinePerSecond, unit: 'oppositions/s' },
    { measure: 'Izly REST client alone (no queue, no registry)', gateway: result.restClientPerSecond, baseline: result.baselinePerSecond, unit: 'oppositions/s' },
  )
  notes.push(`phase 6: ${result.note}`)
}

async function hostileBodies (): Promise<void> {
  console.log('phase 7: /health/live latency while four connections send 8 MB nested JSON bodies nobody may send; baseline the same probe with no attack')
  await waitForQuiet(quietBudget)
  const figures = await benchHostileBodies()
  rows.push(...figures.rows)
  notes.push(`phase 7: ${figures.note}`)
}

async function scaleOut (): Promise<void> {
  // Two jobs at once per lane and process: each worker is then bound by Izly's latency, as a pod on a
  // node of its own would be, rather than by this machine's two cores, which every process here shares.
  const concurrency = { oppose: 2, enable: 2 }
  console.log(`phase 8: oppositions and enablements drained with 1, 2 and 4 worker processes (OPPOSE_CONCURRENCY=${concurrency.oppose}, ENABLE_CONCURRENCY=${concurrency.enable} each), Izly latency 20 ms, the API taking 200 events/s; private Redis (AOF on)`)
  await waitForQuiet(quietBudget)
  const result = await benchScaleOut({ workerCounts: [1, 2, 4], backlog: scaled(10_000), windowMs: SCALE === 1 ? 15_000 : 4_000, warmupMs: SCALE === 1 ? 3_000 : 1_500, intakePerSecond: 200, izlyLatencyMs: 20, concurrency })
  rows.push(...result.rows)
  notes.push(...result.notes)
}

async function outage (redis: Redis, load: LoadClient): Promise<void> {
  console.log(`phase 9: one GATEWAY_ROLE=all process, single intake and validity REST with Izly up, then with Izly down and 20,000 oppositions pending`)
  const result = await benchOutage(redis, load, quietBudget)
  rows.push(...result.rows)
  notes.push(...result.notes)
  diagnostics.push(...result.diagnostics)
}

// --- Phase 1 and 2: intake throughput -----------------------------------------------------------

async function startApiGateway (prefix: string): Promise<Gateway & { url: string }> {
  const config = loadConfig(testEnv({ izlyEndpoint: UNUSED_IZLY, prefix, role: 'api', extra: { PORT: '0' } }))
  const gateway = await startGateway({ config, logger: createLogger('silent'), listen: true })
  if (gateway.url === undefined) throw new Error('the gateway did not listen')
  return Object.assign(gateway, { url: gateway.url })
}

async function singleIntake (redis: Redis, load: LoadClient, bareUrl: string): Promise<void> {
  console.log(`phase 1: single signed events, ${SINGLE.requests} requests, ${SINGLE.concurrency} in flight over ${SINGLE.connections} connections`)
  const warm = signAll(range(0, SINGLE.warmup).map((index) => benchEvent(SERIES.single, index, 'ENABLED')), TEST_SECRET)
  const measured = signAll(range(SINGLE.warmup, SINGLE.requests).map((index) => benchEvent(SERIES.single, index, 'ENABLED')), TEST_SECRET)
  const prefix = uniquePrefix()
  const gateway = await startApiGateway(prefix)
  try {
    const shape = { concurrency: SINGLE.concurrency, connections: SINGLE.connections, countBatchResults: false }
    await load.closed({ origin: bareUrl, path: BARE_PATH, ...warm, ...shape })
    await load.closed({ origin: gateway.url, path: CARD_EVENTS_PATH, ...warm, ...shape })

    const baseline = await timed('single: bare Fastify', SINGLE.requests, redis, async () =>
      await load.closed({ origin: bareUrl, path: BARE_PATH, ...measured, ...shape }))
    const subject = await timed('single: gateway', SINGLE.requests, redis, async () =>
      await load.closed({ origin: gateway.url, path: CARD_EVENTS_PATH, ...measured, ...shape }))
    expectAll(subject, '202', SINGLE.requests, 'single gateway')
    expectAll(baseline, '202', SINGLE.requests, 'single bare')

    rows.push(
      { measure: 'single intake: throughput', gateway: rate(SINGLE.requests, subject), baseline: rate(SINGLE.requests, baseline), unit: 'events/s' },
      { measure: 'single intake: latency p50 (64 in flight)', gateway: percentile(subject.latenciesMs, 50), baseline: percentile(baseline.latenciesMs, 50), unit: 'ms', digits: 1 },
      { measure: 'single intake: latency p99 (64 in flight)', gateway: percentile(subject.latenciesMs, 99), baseline: percentile(baseline.latenciesMs, 99), unit: 'ms', digits: 1 },
    )
  } finally {
    await gateway.close()
    await cleanPrefix(REDIS_URL, prefix)
  }
}

async function batchIntake (redis: Redis, load: LoadClient, bareUrl: string): Promise<void> {
  const total = BATCH.batches * BATCH.size
  console.log(`phase 2: signed batches of ${BATCH.size}, ${BATCH.batches} batches (${total} events), ${BATCH.concurrency} in flight`)
  const batchBodies = (first: number, count: number): ReturnType<typeof signAll> => signAll(
    range(0, count).map((batch) => ({ events: range(first + batch * BATCH.size, BATCH.size).map((index) => benchEvent(SERIES.batch, index, 'ENABLED')) })),
    TEST_SECRET,
  )
  const warm = batchBodies(0, BATCH.warmup)
  const measured = batchBodies(BATCH.warmup * BATCH.size, BATCH.batches)
  const prefix = uniquePrefix()
  const gateway = await startApiGateway(prefix)
  try {
    const shape = { concurrency: BATCH.concurrency, connections: BATCH.connections }
    await load.closed({ origin: bareUrl, path: BARE_PATH, ...warm, ...shape, countBatchResults: false })
    await load.closed({ origin: gateway.url, path: CARD_EVENTS_BATCH_PATH, ...warm, ...shape, countBatchResults: true })

    const baseline = await timed('batch: bare Fastify', total * BATCH.baselineRepeat, redis, async () =>
      await load.closed({ origin: bareUrl, path: BARE_PATH, ...measured, ...shape, countBatchResults: false, repeat: BATCH.baselineRepeat }))
    const subject = await timed('batch: gateway', total, redis, async () =>
      await load.closed({ origin: gateway.url, path: CARD_EVENTS_BATCH_PATH, ...measured, ...shape, countBatchResults: true }))
    expectAll(subject, '202', BATCH.batches, 'batch gateway')
    expectAll(baseline, '202', BATCH.batches * BATCH.baselineRepeat, 'batch bare')
    if ((subject.eventStatuses.accepted ?? 0) !== total) notes.push(`batch gateway: per-event statuses ${JSON.stringify(subject.eventStatuses)}, expected ${total} accepted`)

    rows.push(
      { measure: `batch intake (${BATCH.size}/request): throughput`, gateway: rate(total, subject), baseline: rate(total * BATCH.baselineRepeat, baseline), unit: 'events/s' },
      { measure: 'batch intake: latency per batch p50', gateway: percentile(subject.latenciesMs, 50), baseline: percentile(baseline.latenciesMs, 50), unit: 'ms', digits: 1 },
    )
  } finally {
    await gateway.close()
    await cleanPrefix(REDIS_URL, prefix)
  }
}

async function timed (run: string, events: number, redis: Redis, body: () => Promise<ClosedLoadResult>): Promise<ClosedLoadResult> {
  await waitForQuiet(quietBudget)
  const probe = await startProbe(redis)
  const result = await body()
  diagnostics.push({ run, events, probe: await probe.stop(), clientElu: result.clientElu })
  if (result.clientElu > 0.7) notes.push(`${run}: the load generator thread was ${(result.clientElu * 100).toFixed(0)} % busy, so on this machine the figure is partly bounded by the client sharing the cores`)
  return result
}

function rate (events: number, result: ClosedLoadResult): number {
  return events / (result.elapsedMs / 1000)
}

function expectAll (result: ClosedLoadResult, status: string, count: number, what: string): void {
  if ((result.statuses[status] ?? 0) !== count) notes.push(`${what}: HTTP statuses ${JSON.stringify(result.statuses)}, expected ${count} × ${status}`)
}

// --- Phase 3: opposition latency ----------------------------------------------------------------

interface OppositionRun {
  /** POST start → Izly's recorded OpposeSmartCard, per opposition, ms. */
  toIzlyMs: number[]
  /** POST start → 202 answer, per opposition, ms. */
  toAckMs: number[]
  opposedAtIzly: number
  /** Enablements not yet registered at Izly when the last opposition reached it (simulator's record). */
  pendingAtLastOpposition: number
  /** Enablement jobs waiting, active or delayed in the enable lane when the first opposition was sent. */
  backlogAtFirst: number
  /** Same count, read when the bench saw the last opposition at Izly (a little after it happened). */
  backlogAtLastSeen: number
  /** Enablements registered at Izly per second while the oppositions ran. */
  drainRate: number
  oppositionWindowMs: number
  loadLagMs: number
}

async function oppositionLatency (redis: Redis, load: LoadClient): Promise<void> {
  console.log(`phase 3: ${OPPOSE.count} oppositions ${OPPOSE.spacingMs} ms apart, Izly simulator latency ${OPPOSE.izlyLatencyMs} ms per call; idle, then behind ${OPPOSE.backlog} enablements`)
  const izly = await startIzlySimulator({ host: '127.0.0.1', port: 0 })
  try {
    const idle = await oppositionRun(redis, load, izly, { series: SERIES.idleOppose, backlog: 0, warmup: OPPOSE.warmup })
    const busy = await oppositionRun(redis, load, izly, { series: SERIES.backlogOppose, backlog: OPPOSE.backlog, warmup: 0 })
    const label = `opposition POST → Izly call (${OPPOSE.backlog} backlog vs idle)`
    for (const p of [50, 95, 99]) {
      rows.push({ measure: `${label} p${p}`, gateway: percentile(busy.toIzlyMs, p), baseline: percentile(idle.toIzlyMs, p), unit: 'ms', digits: 1 })
    }
    rows.push(
      { measure: `${label} max`, gateway: Math.max(...busy.toIzlyMs), baseline: Math.max(...idle.toIzlyMs), unit: 'ms', digits: 1 },
      { measure: 'opposition POST → 202 answer p50', gateway: percentile(busy.toAckMs, 50), baseline: percentile(idle.toAckMs, 50), unit: 'ms', digits: 1 },
      { measure: 'opposition POST → 202 answer p99', gateway: percentile(busy.toAckMs, 99), baseline: percentile(idle.toAckMs, 99), unit: 'ms', digits: 1 },
      { measure: 'oppositions that reached Izly as OPPOSED', gateway: busy.opposedAtIzly, baseline: idle.opposedAtIzly, unit: `of ${OPPOSE.count}` },
      { measure: 'enablement jobs queued when the first opposition was sent', gateway: busy.backlogAtFirst, baseline: idle.backlogAtFirst, unit: 'jobs' },
      { measure: 'enablements not yet at Izly when the last opposition was', gateway: busy.pendingAtLastOpposition, baseline: idle.pendingAtLastOpposition, unit: `of ${OPPOSE.backlog}` },
      { measure: 'enablements drained per second meanwhile', gateway: busy.drainRate, baseline: idle.drainRate, unit: 'cards/s', digits: 1 },
    )
    notes.push(`phase 3 backlog: enable-lane jobs still queued when the bench saw the last opposition: ${busy.backlogAtLastSeen}; opposition window ${(busy.oppositionWindowMs / 1000).toFixed(1)} s (idle ${(idle.oppositionWindowMs / 1000).toFixed(1)} s)`)
    if (Math.max(busy.loadLagMs, idle.loadLagMs) > 5) notes.push(`phase 3: the load generator sent some oppositions late, at most ${idle.loadLagMs.toFixed(0)} ms (idle) and ${busy.loadLagMs.toFixed(0)} ms (backlog); latencies count from the actual send`)
  } finally {
    await izly.close()
  }
}

async function oppositionRun (redis: Redis, load: LoadClient, izly: IzlySimulator, options: { series: number, backlog: number, warmup: number }): Promise<OppositionRun> {
  const { series, backlog, warmup } = options
  const name = backlog === 0 ? 'oppose: idle gateway' : `oppose: behind ${backlog} enablements`
  izly.reset()
  izly.setLatency(OPPOSE.izlyLatencyMs)
  const oppositions = range(0, warmup + OPPOSE.count).map((index) => benchEvent(series, index, 'DISABLED'))
  // Izly already holds these cards, as if enabled long ago, so each opposition really opposes.
  for (const event of oppositions) izly.putCard(izlySeedOf(event))

  const prefix = uniquePrefix()
  const config = loadConfig(testEnv({ izlyEndpoint: izly.url, prefix, role: 'all', extra: { PORT: '0', ...PRODUCTION_TIMINGS } }))
  if (backlog === 0) console.log(`  gateway: OPPOSE_CONCURRENCY=${config.queue.opposeConcurrency}, ENABLE_CONCURRENCY=${config.queue.enableConcurrency}, SWEEP_INTERVAL_MS=${config.queue.sweepIntervalMs}; times are Date.now() ms, so ±1 ms`)
  const gateway = await startGateway({ config, logger: createLogger('silent'), listen: true })
  const url = gateway.url
  if (url === undefined) throw new Error('the gateway did not listen')
  const enableQueue = gateway.queues.queue('izly', 'enable')
  const queuedEnablements = async (): Promise<number> => {
    const counts = await enableQueue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')
    return Object.values(counts).reduce((sum, count) => sum + count, 0)
  }
  try {
    if (warmup > 0) {
      const warm = signAll(oppositions.slice(0, warmup), TEST_SECRET)
      await Promise.all([
        load.paced({ origin: url, path: CARD_EVENTS_PATH, ...warm, intervalMs: OPPOSE.spacingMs, connections: 8 }),
        awaitOppositions(izly, range(0, warmup).map((index) => benchIdZdc(series, index))),
      ])
    }

    await waitForQuiet(quietBudget)
    const probe = await startProbe(redis)
    if (backlog > 0) {
      const batches = Math.ceil(backlog / BATCH.size)
      const bodies = signAll(range(0, batches).map((batch) => ({
        events: range(batch * BATCH.size, Math.min(BATCH.size, backlog - batch * BATCH.size)).map((index) => benchEvent(SERIES.backlog, index, 'ENABLED')),
      })), TEST_SECRET)
      const started = Date.now()
      const posted = await load.closed({ origin: url, path: CARD_EVENTS_BATCH_PATH, ...bodies, concurrency: OPPOSE.backlogBatchConcurrency, connections: OPPOSE.backlogBatchConcurrency, countBatchResults: true })
      if ((posted.eventStatuses.accepted ?? 0) !== backlog) notes.push(`${name}: backlog batches answered ${JSON.stringify(posted.statuses)} / ${JSON.stringify(posted.eventStatuses)}`)
      notes.push(`${name}: the ${backlog} enablements took ${((Date.now() - started) / 1000).toFixed(1)} s to post in ${batches} batches; ${countCalls(izly, 'RegisterSmartCard', Number.POSITIVE_INFINITY)} were already at Izly by then`)
    }

    const measured = signAll(oppositions.slice(warmup), TEST_SECRET)
    const idZdcs = range(warmup, OPPOSE.count).map((index) => benchIdZdc(series, index))
    const backlogAtFirst = await queuedEnablements()
    let backlogAtLastSeen = 0
    const [sent, calls] = await Promise.all([
      load.paced({ origin: url, path: CARD_EVENTS_PATH, ...measured, intervalMs: OPPOSE.spacingMs, connections: 8 }),
      awaitOppositions(izly, idZdcs).then(async (found) => {
        backlogAtLastSeen = await queuedEnablements()
        return found
      }),
    ])
    diagnostics.push({ run: name, events: backlog + OPPOSE.count, probe: await probe.stop() })

    const toIzlyMs: number[] = []
    const toAckMs: number[] = []
    let opposedAtIzly = 0
    let lastAt = 0
    idZdcs.forEach((idZdc, index) => {
      const call = calls.get(idZdc) as RecordedCall
      const startedAt = sent.startedAt[index] as number
      toIzlyMs.push(call.at - startedAt)
      toAckMs.push((sent.answeredAt[index] as number) - startedAt)
      if (call.result === 'OPPOSED') opposedAtIzly++
      lastAt = Math.max(lastAt, call.at)
    })
    const bad = sent.statuses.filter((status) => status !== 202).length
    if (bad > 0) notes.push(`${name}: ${bad} oppositions were not answered 202`)
    const firstSent = sent.startedAt[0] as number
    const registeredBeforeFirst = countCalls(izly, 'RegisterSmartCard', firstSent)
    const registeredByLast = countCalls(izly, 'RegisterSmartCard', lastAt)
    const windowMs = Math.max(1, lastAt - firstSent)
    return {
      toIzlyMs,
      toAckMs,
      opposedAtIzly,
      pendingAtLastOpposition: backlog - registeredByLast,
      backlogAtFirst,
      backlogAtLastSeen,
      drainRate: (registeredByLast - registeredBeforeFirst) / (windowMs / 1000),
      oppositionWindowMs: windowMs,
      loadLagMs: sent.maxScheduleLagMs,
    }
  } finally {
    await gateway.close()
    await cleanPrefix(REDIS_URL, prefix)
  }
}

/** Successful calls of `operation` the simulator recorded at or before `until` (epoch ms). */
function countCalls (izly: IzlySimulator, operation: string, until: number): number {
  let count = 0
  for (const call of izly.calls) if (call.operation === operation && call.httpStatus === 200 && call.at <= until) count++
  return count
}

/** Waits until Izly recorded an OpposeSmartCard call for every idZdc; the first call of each. */
async function awaitOppositions (izly: IzlySimulator, idZdcs: string[]): Promise<Map<string, RecordedCall>> {
  const wanted = new Set(idZdcs)
  const found = new Map<string, RecordedCall>()
  const deadline = Date.now() + OPPOSE.timeoutMs
  // izly.calls only grows (reset empties it in place, before this starts): read new entries only.
  let scanned = 0
  for (;;) {
    const calls = izly.calls
    for (; scanned < calls.length; scanned++) {
      const call = calls[scanned] as RecordedCall
      if (call.operation === 'OpposeSmartCard' && call.idZdc !== undefined && wanted.has(call.idZdc) && !found.has(call.idZdc)) found.set(call.idZdc, call)
    }
    if (found.size === wanted.size) return found
    if (Date.now() > deadline) throw new Error(`only ${found.size} of ${wanted.size} oppositions reached Izly within ${OPPOSE.timeoutMs} ms`)
    await sleep(5)
  }
}

await main()
