/**
 * `/health/live` latency while four connections send 8 MB deeply nested JSON bodies at once (to an
 * unknown path, to a GET-only route, to the batch intake with a forged signature, to the admin API
 * without a token), beside the same probe with no attack, measured in the same run. The goal: p99 under
 * 50 ms, as with no attack (before the fix, each body was read and parsed: ~1.2 s of blocked event loop).
 * `benchHostileBodies()` is wired into `npm run bench` by run.ts (phase 7); `node test/bench/hostile-body-bench.ts`
 * runs it alone. The gateway runs the API on the main thread; probe and attackers share their own thread.
 */
import { Worker } from 'node:worker_threads'
import { Redis } from 'ioredis'
import { startGateway } from '../../src/app/gateway.ts'
import { loadConfig } from '../../src/config/load.ts'
import { signBody } from '../../src/intake/signature.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { testEnv } from '../helpers/gateway.ts'
import { cleanPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.ts'
import type { HostileJob, HostileResult } from './hostile-body-worker.ts'
import { percentile, renderResults, type Row, startProbe, waitForQuiet } from './stats.ts'

const SCALE = process.env.BENCH_QUICK === '1' ? 0.2 : 1
const DURATION_MS = Math.round(10_000 * SCALE)
const UNUSED_IZLY = 'http://127.0.0.1:9/izly'
const quietBudget = { ms: 30_000 }

const TARGETS: HostileJob['targets'] = [
  { path: '/no/such/route', headers: {} },
  { path: '/health/live', headers: {} },
  // A well-formed signature under a secret the gateway does not hold: the body is read and hashed, never parsed.
  { path: '/sgc/v1/card-events/batch', headers: { 'X-Signature': signBody('not-the-sgc-secret-0123456789', 'x') } },
  { path: '/admin/v1/attention/izly/c-1/replay', headers: {} },
]

export interface HostileBodyFigures {
  rows: Row[]
  note: string
}

export async function benchHostileBodies (): Promise<HostileBodyFigures> {
  const prefix = uniquePrefix()
  const config = loadConfig(testEnv({ izlyEndpoint: UNUSED_IZLY, prefix, role: 'api', extra: { PORT: '0', LOG_LEVEL: 'silent' } }))
  const gateway = await startGateway({ config, logger: createLogger('silent'), listen: true })
  const origin = gateway.url as string
  try {
    const probe = { origin, durationMs: DURATION_MS, targets: TARGETS, attackers: 0, probeGapMs: 5 }
    await client({ ...probe, durationMs: 1000 })
    await waitForQuiet(quietBudget)
    const idle = await client(probe)
    await waitForQuiet(quietBudget)
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
    await redis.connect()
    const stretch = await startProbe(redis)
    const [attacked, attack] = await Promise.all([client(probe), client({ ...probe, attackers: 4 })])
    const cost = await stretch.stop()
    redis.disconnect()
    const rows: Row[] = [
      { measure: '/health/live p50 while four 8 MB nested bodies are sent (vs no attack)', gateway: percentile(attacked.latenciesMs, 50), baseline: percentile(idle.latenciesMs, 50), unit: 'ms', digits: 1 },
      { measure: '/health/live p99, same', gateway: percentile(attacked.latenciesMs, 99), baseline: percentile(idle.latenciesMs, 99), unit: 'ms', digits: 1 },
      { measure: '/health/live max, same', gateway: Math.max(...attacked.latenciesMs), baseline: Math.max(...idle.latenciesMs), unit: 'ms', digits: 1 },
    ]
    const note = `under attack the gateway's thread was ${(cost.mainElu * 100).toFixed(0)} % busy, its event-loop delay p99 ${cost.loopDelayP99Ms.toFixed(1)} ms, other processes used ${cost.otherCores.toFixed(2)} cores; ${attack.attackRequests} attack requests (${(attack.attackBytesSent / 2 ** 20).toFixed(0)} MiB of body written to the sockets; answers ${JSON.stringify(attack.statuses)}), ${attacked.latenciesMs.length} probes under attack, ${idle.latenciesMs.length} without`
    return { rows, note }
  } finally {
    await gateway.close()
    await cleanPrefix(REDIS_URL, prefix)
  }
}

async function client (job: HostileJob): Promise<HostileResult> {
  const worker = new Worker(new URL('./hostile-body-worker.ts', import.meta.url))
  try {
    return await new Promise<HostileResult>((resolve, reject) => {
      worker.once('message', (reply: { result?: HostileResult, error?: string }) => {
        if (reply.result !== undefined) resolve(reply.result)
        else reject(new Error(`hostile-body client: ${reply.error ?? 'no answer'}`))
      })
      worker.once('error', reject)
      worker.postMessage(job)
    })
  } finally {
    await worker.terminate()
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const figures = await benchHostileBodies()
  console.log(renderResults(figures.rows))
  console.log(figures.note)
}
