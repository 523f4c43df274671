/**
 * ESC Router façade write latency (E5, ESUP-SGC's card POST), answered once durable in Redis, with the
 * router up and then down (its port refusing connections, the ESC lanes retrying behind their breaker),
 * beside a baseline measured in the same run: the same bodies, same client, to a bare Fastify POST route.
 * Each request is one card (a new ESCN), CONCURRENCY in flight over kept-alive connections, as a few
 * ESUP-SGC request threads would. p50 and p99 of each request's own time; no timed assertion anywhere.
 *
 * `npm run bench` runs it as phase 10; `node test/bench/esc-facade-bench.ts` alone too. BENCH_QUICK=1
 * divides the counts by ten.
 */
import { pathToFileURL } from 'node:url'
import { Agent } from 'undici'
import { startGateway } from '../../src/app/gateway.ts'
import { loadConfig } from '../../src/config/load.ts'
import { esiFromIne } from '../../src/domain/esc-identifiers.ts'
import { ESC_FACADE_BASE } from '../../src/facade/esc-router/routes.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { startEscSimulator } from '../../src/simulators/esc/server.ts'
import { startIzlySimulator } from '../../src/simulators/izly/server.ts'
import { escnOf, ineOf } from '../helpers/esc.ts'
import { testEnv } from '../helpers/gateway.ts'
import { cleanPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.ts'
import { BARE_PATH, startBareServer } from './bare.ts'
import { percentile } from './stats.ts'

const SCALE = process.env.BENCH_QUICK === '1' ? 0.1 : 1
const WARMUP = Math.max(10, Math.round(300 * SCALE))
const REQUESTS = Math.max(50, Math.round(3000 * SCALE))
const CONCURRENCY = 4
const PIC = '999859608'
const TOKEN = 'bench-esc-token-0123456789'
const KEY = 'bench-esc-facade-key-0123456789'

export interface EscFacadeBenchResult {
  up: { p50: number, p99: number }
  down: { p50: number, p99: number }
  baseline: { p50: number, p99: number }
  note: string
}

export async function benchEscFacade (): Promise<EscFacadeBenchResult> {
  const izly = await startIzlySimulator({ host: '127.0.0.1', port: 0 })
  const esc = await startEscSimulator({ host: '127.0.0.1', port: 0, token: TOKEN, pic: PIC })
  const bare = await startBareServer()
  const prefix = uniquePrefix()
  const config = loadConfig(testEnv({ izlyEndpoint: izly.url, escEndpoint: { url: esc.url, token: TOKEN, pic: PIC }, prefix, extra: { SGC_ESC_KEYS: KEY, LOG_LEVEL: 'silent' } }))
  const gateway = await startGateway({ config, logger: createLogger('silent'), listen: true, escEndpoint: { url: esc.url, token: TOKEN, pic: PIC } })
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: CONCURRENCY })
  let series = 0
  const send = async (origin: string, path: string, index: number): Promise<number> => {
    const seed = `facade-bench-${process.pid}-${series}-${index}`
    const esi = esiFromIne(ineOf(seed))
    const body = JSON.stringify({ personIdentifier: esi, cardStatusType: 'ACTIVE', expiresAt: '2030-08-31', cardNumber: escnOf(seed), issuerIdentifier: PIC, processorIdentifier: null, cardType: 'SMART_NO_CDZ', issuedAt: '2026-09-01' })
    const started = performance.now()
    const response = await agent.request({ origin, path, method: 'POST', headers: { authorization: `Bearer ${KEY}`, accept: 'application/json', 'content-type': 'application/json', 'user-agent': 'ESUP-SGC/3.5.1 ; bench' }, body })
    await response.body.dump()
    const elapsed = performance.now() - started
    if (response.statusCode !== 201 && response.statusCode !== 202) throw new Error(`answered ${response.statusCode}`)
    return elapsed
  }
  const measure = async (origin: string, path: string): Promise<{ p50: number, p99: number }> => {
    series++
    let next = 0
    const run = async (count: number): Promise<number[]> => {
      const times: number[] = []
      next = 0
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) times.push(await send(origin, path, next++))
      }))
      return times
    }
    await run(WARMUP)
    series++
    const times = await run(REQUESTS)
    return { p50: percentile(times, 50), p99: percentile(times, 99) }
  }
  try {
    const gatewayOrigin = new URL(gateway.url as string).origin
    const baseline = await measure(new URL(bare.url).origin, BARE_PATH)
    const up = await measure(gatewayOrigin, `${ESC_FACADE_BASE}/cards`)
    // The router gone: its port refuses connections; the lanes retry behind the breaker meanwhile.
    await esc.close()
    const down = await measure(gatewayOrigin, `${ESC_FACADE_BASE}/cards`)
    return {
      up,
      down,
      baseline,
      note: `${REQUESTS} card POSTs (E5) per run, ${CONCURRENCY} in flight, each a new card through the intake (Redis script, wake-up); ` +
        'router up: the ESC lanes register the cards meanwhile in the same process; router down: its port closed; ' +
        'baseline: the same bodies with the same client to a bare Fastify POST route',
    }
  } finally {
    await agent.close()
    await gateway.close()
    await cleanPrefix(REDIS_URL, prefix)
    await bare.close()
    await esc.close().catch(() => {})
    await izly.close()
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchEscFacade()
  const show = (figures: { p50: number, p99: number }): string => `p50 ${figures.p50.toFixed(2)} ms, p99 ${figures.p99.toFixed(2)} ms`
  console.log(`ESC façade writes: router up ${show(result.up)}; router down ${show(result.down)}; baseline ${show(result.baseline)}\n${result.note}`)
}
