/**
 * Oppositions drained per second by ONE worker process (`GATEWAY_ROLE=worker`, its own Node process,
 * default OPPOSE_CONCURRENCY) against the Izly simulator, over the SOAP transport and over the API CROUS
 * (REST) transport, beside a baseline measured in the same run: raw undici requests with the REST
 * opposition's JSON body, as many in flight as the worker lane keeps, to a bare Fastify route (bare.ts).
 *
 * N oppositions are queued first (Izly already holds the cards, so each really opposes), then the worker
 * process starts; the rate is timed between the first and the last OpposeSmartCard the simulator
 * records, so the process's start-up is not counted. The simulator runs in this process, the worker in
 * its own; Redis is the one on REDIS_URL / 127.0.0.1:6379. What the gap to the baseline holds: the
 * sync worker's Redis round trips (lease, standing, confirm, timeline), BullMQ, and the client.
 *
 * `npm run bench` runs it as phase 6 (benchIzlyTransports()); `node test/bench/izly-transport-bench.ts`
 * alone too. BENCH_QUICK=1 divides the counts by ten.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Agent } from 'undici'
import { startGateway } from '../../src/app/gateway.ts'
import { loadConfig } from '../../src/config/load.ts'
import { createIzlyClient } from '../../src/downstream/izly/client.ts'
import { createIzlyRestClient } from '../../src/downstream/izly/rest-client.ts'
import { oppositionBody } from '../../src/downstream/izly/rest-mapping.ts'
import { CARD_EVENTS_BATCH_PATH } from '../../src/intake/sgc-routes.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { type IzlySimulator, startIzlySimulator } from '../../src/simulators/izly/server.ts'
import { TEST_SECRET, testEnv } from '../helpers/gateway.ts'
import type { IzlyTestEndpoint } from '../helpers/izly.ts'
import { cleanPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.ts'
import { BARE_PATH, startBareServer } from './bare.ts'
import { benchEvent, izlySeedOf, range, signAll } from './events.ts'

const SCALE = process.env.BENCH_QUICK === '1' ? 0.1 : 1
const OPPOSITIONS = Math.max(100, Math.round(5_000 * SCALE))
const BATCH = 1000
/** The worker's opposition lane concurrency: the production default. */
const CONCURRENCY = 16
/** Series digit of this phase's cards (run.ts uses 1-5). */
const SERIES = 6
const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url))
const PRODUCTION_TIMINGS = { SWEEP_INTERVAL_MS: '10000', STALLED_CHECK_MS: '15000', JOB_LOCK_MS: '60000', IZLY_TIMEOUT_MS: '30000', LOG_LEVEL: 'warn' }

export interface IzlyTransportBenchResult {
  soapPerSecond: number
  restPerSecond: number
  /** The clients alone (no queue, no registry): oppositions per second from this process, CONCURRENCY in flight. */
  soapClientPerSecond: number
  restClientPerSecond: number
  baselinePerSecond: number
  note: string
}

/** `beforeMeasure` runs before each measured stretch (run.ts waits there for a quiet machine). */
export async function benchIzlyTransports (options: { beforeMeasure?: () => Promise<void> } = {}): Promise<IzlyTransportBenchResult> {
  const quiet = options.beforeMeasure ?? (async () => {})
  const simulator = await startIzlySimulator({ host: '127.0.0.1', port: 0 })
  try {
    const soap = await drain(simulator, 'soap', simulator.url, quiet)
    const rest = await drain(simulator, 'rest', { transport: 'rest', apiUrl: simulator.apiUrl, accessUrl: simulator.accessUrl, clientId: simulator.clientId, clientSecret: simulator.clientSecret }, quiet)
    await quiet()
    const soapClient = await clientAlone(simulator, 'soap')
    await quiet()
    const restClient = await clientAlone(simulator, 'rest')
    await quiet()
    const baseline = await rawUndici()
    return {
      soapPerSecond: soap.perSecond,
      restPerSecond: rest.perSecond,
      soapClientPerSecond: soapClient,
      restClientPerSecond: restClient,
      baselinePerSecond: baseline,
      note: `${OPPOSITIONS} oppositions queued, then one worker process (OPPOSE_CONCURRENCY=${CONCURRENCY}) drains them; ` +
        `worker CPU per opposition SOAP ${soap.workerCpuMsPerOpposition.toFixed(2)} ms, REST ${rest.workerCpuMsPerOpposition.toFixed(2)} ms ` +
        `(worker process busy ${soap.workerCores.toFixed(2)} / ${rest.workerCores.toFixed(2)} cores); ` +
        `every call reached the simulator as OPPOSED (SOAP ${soap.opposed}, REST ${rest.opposed} of ${OPPOSITIONS}; REST on ${rest.tokens} token(s)); ` +
        `baseline: raw undici POSTs of the REST opposition body, ${CONCURRENCY} in flight, to a bare Fastify route`,
    }
  } finally {
    await simulator.close()
  }
}

interface Drained {
  perSecond: number
  opposed: number
  tokens: number
  /** The worker process's CPU (user + system) between the first and the last opposition, per opposition and as cores busy. */
  workerCpuMsPerOpposition: number
  workerCores: number
}

async function drain (simulator: IzlySimulator, transport: 'soap' | 'rest', endpoint: IzlyTestEndpoint, quiet: () => Promise<void>): Promise<Drained> {
  simulator.reset()
  const events = range(0, OPPOSITIONS).map((index) => benchEvent(SERIES, index, 'DISABLED'))
  for (const event of events) simulator.putCard(izlySeedOf(event))
  const prefix = uniquePrefix()
  // Intake only (no worker in this process): the oppositions wait in the queue.
  const api = await startGateway({ config: loadConfig(testEnv({ izlyEndpoint: endpoint, prefix, role: 'api', extra: PRODUCTION_TIMINGS })), logger: createLogger('silent'), listen: false })
  let worker: ChildProcess | undefined
  try {
    const batches = signAll(range(0, Math.ceil(OPPOSITIONS / BATCH)).map((batch) => ({ events: events.slice(batch * BATCH, (batch + 1) * BATCH) })), TEST_SECRET)
    for (const [index, body] of batches.bodies.entries()) {
      const answer = await api.app.inject({ method: 'POST', url: CARD_EVENTS_BATCH_PATH, payload: body, headers: { 'content-type': 'application/json', 'x-signature': batches.signatures[index] as string } })
      if (answer.statusCode !== 202) throw new Error(`batch answered ${answer.statusCode}`)
    }
    await quiet()
    worker = spawn(process.execPath, [MAIN], {
      env: { ...process.env, ...testEnv({ izlyEndpoint: endpoint, prefix, role: 'worker', extra: { ...PRODUCTION_TIMINGS, OPPOSE_CONCURRENCY: String(CONCURRENCY) } }) },
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    const pid = worker.pid ?? 0
    const calls = await awaitOppositions(simulator, OPPOSITIONS, pid)
    const first = calls.list[0]?.at ?? 0
    const last = calls.list.at(-1)?.at ?? first
    const opposed = calls.list.filter((call) => call.result === 'OPPOSED').length
    return { perSecond: (calls.list.length - 1) / (Math.max(1, last - first) / 1000), opposed, tokens: simulator.tokens.issued, workerCpuMsPerOpposition: calls.cpuMs / OPPOSITIONS, workerCores: calls.cpuMs / Math.max(1, last - first) }
  } finally {
    if (worker !== undefined && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker?.once('exit', resolve))
      worker.kill('SIGTERM')
      await exited
    }
    await api.close()
    await cleanPrefix(REDIS_URL, prefix)
  }
}

/**
 * The first successful OpposeSmartCard of each card, in the order the simulator recorded them, and the
 * CPU the worker process `pid` used from the first of them to the last (NaN where /proc is not there).
 */
async function awaitOppositions (simulator: IzlySimulator, count: number, pid: number): Promise<{ list: IzlySimulator['calls'], cpuMs: number }> {
  const deadline = Date.now() + 300_000
  let cpuAtFirst: number | undefined
  for (;;) {
    const done = simulator.calls.filter((call) => call.operation === 'OpposeSmartCard' && call.httpStatus >= 200 && call.httpStatus < 300)
    if (cpuAtFirst === undefined && done.length > 0) cpuAtFirst = processCpuMs(pid)
    if (done.length >= count) return { list: done.slice(0, count), cpuMs: processCpuMs(pid) - (cpuAtFirst ?? Number.NaN) }
    if (Date.now() > deadline) throw new Error(`only ${done.length} of ${count} oppositions reached the simulator`)
    await sleep(10)
  }
}

/** User + system CPU of a process so far, ms (Linux /proc; clock ticks of 10 ms). */
function processCpuMs (pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return Number.NaN
  }
}

/** The transport alone: each card opposed once through the client, CONCURRENCY in flight, no worker around it. */
async function clientAlone (simulator: IzlySimulator, transport: 'soap' | 'rest'): Promise<number> {
  simulator.reset()
  const events = range(0, OPPOSITIONS).map((index) => benchEvent(SERIES, index, 'DISABLED'))
  for (const event of events) simulator.putCard(izlySeedOf(event))
  const client = transport === 'rest'
    ? createIzlyRestClient({ apiUrl: simulator.apiUrl, accessUrl: simulator.accessUrl, clientId: simulator.clientId, clientSecret: simulator.clientSecret })
    : await createIzlyClient({ endpoint: simulator.url })
  const ctx = { correlationId: 'bench' }
  let next = 0
  const oppose = async (): Promise<void> => {
    const event = events[next++] as (typeof events)[number]
    const crous = event.card.crous as NonNullable<typeof event.card.crous>
    const outcome = await client.opposeSmartCard({ identifier: event.holder.eppn, idZdc: crous.idZdc, uid: event.card.csn as string, reason: 'DP', cancelDate: event.occurredAt }, ctx)
    if (outcome !== 'opposed') throw new Error(`${transport} client: ${outcome}`)
  }
  try {
    const started = performance.now()
    await run(oppose, OPPOSITIONS)
    return OPPOSITIONS / ((performance.now() - started) / 1000)
  } finally {
    await client.close()
  }
}

/** The same number of requests, raw undici with the REST opposition body, CONCURRENCY in flight, to bare Fastify. */
async function rawUndici (): Promise<number> {
  const bare = await startBareServer()
  const agent = new Agent({ keepAliveTimeout: 30_000 })
  const origin = new URL(bare.url).origin
  const body = JSON.stringify(oppositionBody('DP', '2026-11-28T10:00:00+01:00'))
  const post = async (): Promise<void> => {
    const response = await agent.request({ origin, path: BARE_PATH, method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer bench', uid: '04A1B2C3D4E5F6' }, body })
    await response.body.dump()
    if (response.statusCode !== 202) throw new Error(`bare answered ${response.statusCode}`)
  }
  try {
    await run(post, Math.round(OPPOSITIONS / 10))
    const started = performance.now()
    await run(post, OPPOSITIONS)
    return OPPOSITIONS / ((performance.now() - started) / 1000)
  } finally {
    await agent.close()
    await bare.close()
  }
}

async function run (call: () => Promise<void>, count: number): Promise<void> {
  let left = count
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (left-- > 0) await call()
  }))
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchIzlyTransports()
  console.log(`oppositions drained by one worker process: SOAP ${result.soapPerSecond.toFixed(0)}/s, REST ${result.restPerSecond.toFixed(0)}/s; ` +
    `clients alone: SOAP ${result.soapClientPerSecond.toFixed(0)}/s, REST ${result.restClientPerSecond.toFixed(0)}/s; baseline raw undici ${result.baselinePerSecond.toFixed(0)}/s\n${result.note}`)
}
