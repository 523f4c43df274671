/**
 * Phase 6 of `npm run bench`: what an Izly outage costs the rest of the gateway. One GATEWAY_ROLE=all
 * process (API and workers, production timings), measured twice on the same load: Izly up (20,000
 * earlier cards held, the measured enablements synced as they arrive), then Izly down with 20,000
 * oppositions pending behind the breaker (the measured enablements pending too). Signed single-event intake and validity REST lookups, side by
 * side; the goal is an outage costing under 20 %. The Izly simulator runs in a child process
 * (izly-process.ts), as a real Izly is remote. `benchOutage()` is wired into run.ts; BENCH_QUICK=1 divides counts by ten.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { Redis } from 'ioredis'
import { type Gateway, startGateway } from '../../src/app/gateway.ts'
import { loadConfig } from '../../src/config/load.ts'
import { CARD_EVENTS_BATCH_PATH, CARD_EVENTS_PATH } from '../../src/intake/sgc-routes.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { TEST_SECRET, testEnv } from '../helpers/gateway.ts'
import { cleanPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.ts'
import { CROUS_API_KEY } from '../helpers/validity.ts'
import { benchEvent, range, signAll } from './events.ts'
import type { LoadClient } from './load-client.ts'
import type { ClosedLoadResult } from './protocol.ts'
import { type ProbeResult, type Row, startProbe, waitForQuiet } from './stats.ts'

const SCALE = process.env.BENCH_QUICK === '1' ? 0.1 : 1
const scaled = (count: number): number => Math.max(1, Math.round(count * SCALE))
const PENDING = scaled(20_000)
const INTAKE = { requests: scaled(10_000), concurrency: 64, connections: 32 }
const LOOKUPS = { requests: scaled(20_000), concurrency: 64, connections: 32 }
/** Series digits apart from the other phases' on the shared Redis (run.ts 1-5, validity 6; scale-out reuses 6-9 on a private Redis of its own). */
const SERIES = { pendingUp: 7, pendingDown: 8, measured: 9 } as const
const PRODUCTION_TIMINGS = { SWEEP_INTERVAL_MS: '10000', STALLED_CHECK_MS: '15000', JOB_LOCK_MS: '60000', IZLY_TIMEOUT_MS: '30000', BREAKER_OPEN_MS: '15000', RETRY_BASE_MS: '1000', RETRY_MAX_MS: '300000', REDIS_REQUEST_TIMEOUT_MS: '5000' }
const IZLY_PROCESS = fileURLToPath(new URL('./izly-process.ts', import.meta.url))

export interface OutageBenchResult {
  rows: Row[]
  notes: string[]
  diagnostics: Array<{ run: string, events: number, probe: ProbeResult }>
}

export async function benchOutage (redis: Redis, load: LoadClient, quietBudget: { ms: number }): Promise<OutageBenchResult> {
  const izly = await startIzlyProcess()
  const notes: string[] = []
  const diagnostics: OutageBenchResult['diagnostics'] = []
  try {
    const up = await measureCase({ name: 'Izly up', izly, redis, load, quietBudget, outage: false, series: SERIES.pendingUp, measuredFrom: 0, notes, diagnostics })
    const down = await measureCase({ name: `Izly down, ${PENDING} pending`, izly, redis, load, quietBudget, outage: true, series: SERIES.pendingDown, measuredFrom: INTAKE.requests, notes, diagnostics })
    const cost = (upRate: number, downRate: number): string => `${(100 * (1 - downRate / upRate)).toFixed(0)} %`
    notes.push(`phase 9: the outage costs intake ${cost(up.intake, down.intake)} and validity ${cost(up.validity, down.validity)} (goal: under 20 %; negative: faster during the outage, the held work not being done)`)
    return {
      rows: [
        { measure: `single intake with Izly down and ${PENDING} pending vs up`, gateway: down.intake, baseline: up.intake, unit: 'events/s' },
        { measure: `validity REST with Izly down and ${PENDING} pending vs up`, gateway: down.validity, baseline: up.validity, unit: 'requests/s' },
        { measure: 'Izly calls during the measured outage run vs the up run', gateway: down.izlyCalls, baseline: up.izlyCalls, unit: 'calls' },
      ],
      notes,
      diagnostics,
    }
  } finally {
    izly.child.kill('SIGTERM')
    await once(izly.child, 'exit')
  }
}

interface IzlyProcess {
  url: string
  controlUrl: string
  child: ReturnType<typeof spawn>
  setOutage (mode: 'off' | 'http503'): Promise<void>
  callCount (): Promise<number>
}

async function startIzlyProcess (): Promise<IzlyProcess> {
  const child = spawn(process.execPath, [IZLY_PROCESS], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [line] = await once(child.stdout, 'data') as [Buffer]
  const { url, controlUrl } = JSON.parse(line.toString().split('\n')[0] ?? '{}') as { url: string, controlUrl: string }
  return {
    url,
    controlUrl,
    child,
    async setOutage (mode) {
      await fetch(`${controlUrl}/outage`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode }) })
    },
    async callCount () {
      const { calls } = await (await fetch(`${controlUrl}/calls`)).json() as { calls: unknown[] }
      return calls.length
    },
  }
}

async function measureCase (options: { name: string, izly: IzlyProcess, redis: Redis, load: LoadClient, quietBudget: { ms: number }, outage: boolean, series: number, measuredFrom: number, notes: string[], diagnostics: OutageBenchResult['diagnostics'] }): Promise<{ intake: number, validity: number, izlyCalls: number }> {
  const { name, izly, redis, load, outage } = options
  const prefix = uniquePrefix()
  const config = loadConfig(testEnv({ izlyEndpoint: izly.url, prefix, role: 'all', extra: { PORT: '0', CROUS_API_KEYS: CROUS_API_KEY, ...PRODUCTION_TIMINGS } }))
  const gateway = await startGateway({ config, logger: createLogger('silent'), listen: true })
  const origin = gateway.url as string
  try {
    await izly.setOutage(outage ? 'http503' : 'off')
    // 20,000 earlier cards: pending oppositions behind the breaker (Izly down); with Izly up, cards in a
    // state Izly has no work for (PRINTED), in line at once, so that both runs hold 20,000 cards to look up.
    const earlier = range(0, PENDING).map((index) => {
      const event = benchEvent(options.series, index, 'DISABLED')
      if (!outage) {
        event.card.state = 'PRINTED'
        delete event.card.disableReason
      }
      return event
    })
    const batches = signAll(range(0, Math.ceil(PENDING / 1000)).map((batch) => ({ events: earlier.slice(batch * 1000, batch * 1000 + 1000) })), TEST_SECRET)
    const started = Date.now()
    await load.closed({ origin, path: CARD_EVENTS_BATCH_PATH, ...batches, concurrency: 2, connections: 2, countBatchResults: true })
    if (outage) await until(async () => (await gateway.registry.countDirty('izly')) >= PENDING && await breakerOpen(gateway), 120_000, `${name}: the breaker to open`)
    else await until(async () => await gateway.registry.countDirty('izly') === 0, 600_000, `${name}: the earlier cards to sync`)
    options.notes.push(`phase 9, ${name}: ${PENDING} earlier cards ${outage ? 'pending' : 'synced'} after ${((Date.now() - started) / 1000).toFixed(0)} s`)

    const callsBefore = await izly.callCount()
    const measured = signAll(range(options.measuredFrom, INTAKE.requests).map((index) => benchEvent(SERIES.measured, index, 'ENABLED')), TEST_SECRET)
    const intake = await timed(options, `outage phase, ${name}: single intake`, INTAKE.requests, async () =>
      await load.closed({ origin, path: CARD_EVENTS_PATH, ...measured, concurrency: INTAKE.concurrency, connections: INTAKE.connections, countBatchResults: false }))
    // The lookups run once the enablements just posted are synced (Izly up) or held (Izly down): the
    // difference is then the outage's, not the sync of the intake run.
    if (!outage) await until(async () => await gateway.registry.countDirty('izly') === 0, 600_000, `${name}: the measured enablements to sync`)
    const csns = earlier.map((event) => event.card.csn as string)
    const paths = range(0, LOOKUPS.requests).map((index) => `/crous/v1/cards/${csns[index % csns.length] as string}/validity`)
    const validity = await timed(options, `outage phase, ${name}: validity REST`, LOOKUPS.requests, async () =>
      await load.closed({ origin, path: '', method: 'GET', headers: { 'x-api-key': CROUS_API_KEY }, paths, bodies: [], signatures: [], concurrency: LOOKUPS.concurrency, connections: LOOKUPS.connections, countBatchResults: false }))
    const izlyCalls = await izly.callCount() - callsBefore
    for (const [what, result, expected] of [['intake', intake, '202'], ['validity', validity, '200']] as const) {
      if ((result.statuses[expected] ?? 0) !== result.requests) options.notes.push(`phase 9, ${name}, ${what}: statuses ${JSON.stringify(result.statuses)}`)
    }
    return { intake: rate(intake), validity: rate(validity), izlyCalls }
  } finally {
    await gateway.close()
    await cleanPrefix(REDIS_URL, prefix)
  }
}

async function timed (options: { redis: Redis, quietBudget: { ms: number }, diagnostics: OutageBenchResult['diagnostics'] }, run: string, events: number, body: () => Promise<ClosedLoadResult>): Promise<ClosedLoadResult> {
  await waitForQuiet(options.quietBudget)
  const probe = await startProbe(options.redis)
  const result = await body()
  options.diagnostics.push({ run, events, probe: await probe.stop() })
  return result
}

async function breakerOpen (gateway: Gateway): Promise<boolean> {
  const metrics = await gateway.app.inject({ method: 'GET', url: '/metrics' })
  return /leocarte_breaker_open\{downstream="izly"\} 1/.test(metrics.body)
}

async function until (check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

function rate (result: ClosedLoadResult): number {
  return result.requests / (result.elapsedMs / 1000)
}
