/**
 * What the rate limits cost: validity REST at saturation through a gateway with RATE_LIMITS=on (limits set
 * out of reach, so that every request is counted in Redis and none is refused) beside the same gateway
 * with RATE_LIMITS=off, in the same run, alternated (off, on, off, on) so that a drift of the machine
 * weighs on both. `benchRateLimits()` is phase 12 of `npm run bench`; `node test/bench/rate-limit-bench.ts`
 * runs it alone. BENCH_QUICK=1 divides the counts by ten.
 */
import { startGateway, type Gateway } from '../../src/app/gateway.ts'
import { loadConfig } from '../../src/config/load.ts'
import { fingerprint, normaliseCardEvent } from '../../src/intake/normalise.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { testEnv } from '../helpers/gateway.ts'
import { cleanPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.ts'
import { CROUS_API_KEY } from '../helpers/validity.ts'
import { benchEvent, range } from './events.ts'
import { LoadClient } from './load-client.ts'
import type { ClosedLoadJob, ClosedLoadResult } from './protocol.ts'
import { percentile, renderResults } from './stats.ts'

const SCALE = process.env.BENCH_QUICK === '1' ? 0.1 : 1
const scaled = (count: number): number => Math.max(1, Math.round(count * SCALE))
const RUN = { warmup: scaled(2_000), requests: scaled(10_000), rounds: 2, concurrency: 64, connections: 32 }
const HELD_CARDS = 1_000
/** Series digit of the bench cards (run.ts uses 1 to 6 elsewhere). */
const SERIES = 7

export interface RateLimitFigures {
  onPerSecond: number
  offPerSecond: number
  onP99Ms: number
  offP99Ms: number
}

export async function benchRateLimits (): Promise<RateLimitFigures> {
  const prefix = uniquePrefix()
  const load = new LoadClient()
  const start = async (limits: 'on' | 'off'): Promise<Gateway> => {
    const config = loadConfig(testEnv({
      izlyEndpoint: 'http://127.0.0.1:9/izly',
      prefix,
      role: 'api',
      // testEnv's limits are out of reach: on, every request is counted and none refused.
      extra: { PORT: '0', CROUS_API_KEYS: CROUS_API_KEY, LOG_LEVEL: 'silent', RATE_LIMITS: limits },
    }))
    return await startGateway({ config, logger: createLogger('silent'), listen: true })
  }
  const on = await start('on')
  const off = await start('off')
  try {
    const csns: string[] = []
    for (const index of range(0, HELD_CARDS)) {
      const event = normaliseCardEvent(benchEvent(SERIES, index, 'ENABLED'))
      await on.registry.accept(event, fingerprint(event))
      csns.push(event.card.csn as string)
    }
    const job = (gateway: Gateway, count: number): Omit<ClosedLoadJob, 'kind'> => ({
      origin: gateway.url as string,
      concurrency: RUN.concurrency,
      connections: RUN.connections,
      countBatchResults: false,
      bodies: [],
      signatures: [],
      path: '',
      method: 'GET',
      headers: { 'x-api-key': CROUS_API_KEY },
      paths: range(0, count).map((index) => `/crous/v1/cards/${csns[index % csns.length] as string}/validity`),
    })
    await run(load, job(off, RUN.warmup), 'off warm-up')
    await run(load, job(on, RUN.warmup), 'on warm-up')
    const results = { on: [] as ClosedLoadResult[], off: [] as ClosedLoadResult[] }
    for (let round = 0; round < RUN.rounds; round++) {
      results.off.push(await run(load, job(off, RUN.requests), 'limits off'))
      results.on.push(await run(load, job(on, RUN.requests), 'limits on'))
    }
    return {
      onPerSecond: rate(results.on),
      offPerSecond: rate(results.off),
      onP99Ms: percentile(results.on.flatMap((result) => result.latenciesMs), 99),
      offP99Ms: percentile(results.off.flatMap((result) => result.latenciesMs), 99),
    }
  } finally {
    await on.close()
    await off.close()
    await load.close()
    await cleanPrefix(REDIS_URL, prefix)
  }
}

async function run (load: LoadClient, job: Omit<ClosedLoadJob, 'kind'>, name: string): Promise<ClosedLoadResult> {
  const result = await load.closed(job)
  const unexpected = Object.entries(result.statuses).filter(([status]) => status !== '200')
  if (unexpected.length > 0) throw new Error(`${name}: answers other than 200: ${JSON.stringify(result.statuses)}`)
  return result
}

function rate (results: ClosedLoadResult[]): number {
  const requests = results.reduce((sum, result) => sum + result.requests, 0)
  const seconds = results.reduce((sum, result) => sum + result.elapsedMs / 1000, 0)
  return requests / seconds
}

if (import.meta.main) {
  const figures = await benchRateLimits()
  console.log(renderResults([
    { measure: 'validity REST throughput, rate limits on (baseline: off)', gateway: figures.onPerSecond, baseline: figures.offPerSecond, unit: 'requests/s' },
    { measure: 'validity REST latency p99, rate limits on (baseline: off)', gateway: figures.onP99Ms, baseline: figures.offP99Ms, unit: 'ms', digits: 1 },
  ]))
}
