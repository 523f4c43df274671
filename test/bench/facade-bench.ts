/**
 * The API CROUS façade's write latency (issue 10): ESUP-SGC's opposition PATCH (C8), each on its own
 * card, with the real peer (the Izly simulator, SOAP) up and down (connections dropped), beside a bare
 * Fastify route doing the same Redis work (token lookup, the card lookup, the intake's Lua write through
 * Registry.accept, the holder's card set, the BullMQ wake-up); the façade runs as an API-only process, a
 * worker process beside it, measured in the same run. Goal: p99 under 100 ms with the peer down.
 * `benchFacade()` is wired into `npm run bench` (phase 11) by run.ts; `node test/bench/facade-bench.ts` runs it alone.
 *
 * ESUP-SGC's HTTP client keeps 5 connections per route (esup-sgc-dropin.md §1): 5 in flight is one
 * ESUP-SGC at full tilt; 32 in flight is several ESUP-SGC instances (or a mass disable) at once.
 */
import { createHash } from 'node:crypto'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import { startGateway } from '../../src/app/gateway.ts'
import { loadConfig } from '../../src/config/load.ts'
import { writeSgcLocalTime } from '../../src/facade/api-crous/local-time.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { buildKeys } from '../../src/registry/keys.ts'
import { Registry } from '../../src/registry/registry.ts'
import { SyncQueues } from '../../src/queue/sync-queues.ts'
import { startChildGateway } from '../helpers/child-gateway.ts'
import { startIzlySimulator } from '../../src/simulators/izly/server.ts'
import { testEnv } from '../helpers/gateway.ts'
import { cleanPrefix, REDIS_URL, TEST_PSEUDONYM_KEY, uniquePrefix } from '../helpers/redis.ts'
import { range } from './events.ts'
import { LoadClient } from './load-client.ts'
import type { ClosedLoadJob, ClosedLoadResult } from './protocol.ts'
import { percentile, renderResults, type Row } from './stats.ts'

const SCALE = process.env.BENCH_QUICK === '1' ? 0.1 : 1
const scaled = (count: number): number => Math.max(1, Math.round(count * SCALE))
const RUN = { warmup: scaled(500), requests: scaled(5_000), connections: 32 }
const CLIENT = { clientId: 'esup-sgc-bench', clientSecret: 'esup-sgc-bench-secret-0123' }

type Job = Omit<ClosedLoadJob, 'kind'>

export async function benchFacade (): Promise<Row[]> {
  const prefix = uniquePrefix()
  const bareRedis = new Redis(REDIS_URL)
  const load = new LoadClient()
  const izly = await startIzlySimulator({ host: '127.0.0.1', port: 0 })
  const bare = await startBareFacade(bareRedis, `${prefix}-bare`)
  // As deployed: API replicas apart from the workers (here one worker process draining to the simulator).
  const env = (role: string): Record<string, string> => testEnv({ izlyEndpoint: izly.url, prefix, role, extra: { PORT: '0', SGC_CROUS_CLIENTS: `${CLIENT.clientId}:${CLIENT.clientSecret}`, LOG_LEVEL: 'silent', SWEEP_INTERVAL_MS: '10000' } })
  const gateway = await startGateway({ config: loadConfig(env('api')), logger: createLogger('silent'), listen: true })
  const worker = await startChildGateway(undefined, env('worker'))
  const origin = gateway.url as string
  let series = 0
  try {
    const answer = await fetch(`${origin}/api-crous/api/oauth/token?grant_type=client_credentials`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}` } })
    const token = (await answer.json() as { access_token: string }).access_token
    const job = (target: string, count: number, concurrency: number): Job => {
      series++
      const ids = range(0, count).map((index) => `${series}${String(index).padStart(9, '0')}`)
      return {
        origin: target,
        path: '',
        method: 'PATCH',
        concurrency,
        connections: Math.min(RUN.connections, concurrency),
        countBatchResults: false,
        headers: { authorization: `Bearer ${token}`, 'user-agent': 'ESUP-SGC/3.5.1' },
        paths: ids.map((idZdc) => `/api-crous/beforeizly/v1/rightholders/bench.${idZdc}@univ.fr/smartcard/${idZdc}`),
        bodies: ids.map(() => JSON.stringify({ reason: 'DP', revalidationDate: '', cancelDate: writeSgcLocalTime(new Date().toISOString(), 'Europe/Paris') })),
        signatures: [],
      }
    }
    const rows: Row[] = []
    const measure = async (name: string, concurrency: number): Promise<void> => {
      await run(load, job(origin, RUN.warmup, concurrency), `${name} warm-up`)
      await run(load, job(bare.url, RUN.warmup, concurrency), `${name} baseline warm-up`)
      const baseline = await run(load, job(bare.url, RUN.requests, concurrency), `${name} baseline`)
      const subject = await run(load, job(origin, RUN.requests, concurrency), name)
      for (const p of [50, 99]) {
        rows.push({ measure: `${name}, ${concurrency} in flight: latency p${p}`, gateway: percentile(subject.latenciesMs, p), baseline: percentile(baseline.latenciesMs, p), unit: 'ms', digits: 1 })
      }
    }
    for (const concurrency of [5, 32]) await measure('API CROUS façade C8 (opposition), Izly up', concurrency)
    izly.setOutage('reset')
    for (const concurrency of [5, 32]) await measure('API CROUS façade C8 (opposition), Izly down', concurrency)
    return rows
  } finally {
    await gateway.close()
    worker.process.kill('SIGTERM')
    await worker.exited
    await bare.close()
    await izly.close()
    await load.close()
    bareRedis.disconnect()
    await cleanPrefix(REDIS_URL, prefix)
    await cleanPrefix(REDIS_URL, `${prefix}-bare`)
  }
}

async function run (load: LoadClient, job: Job, name: string): Promise<ClosedLoadResult> {
  const result = await load.closed(job)
  const unexpected = Object.entries(result.statuses).filter(([status]) => status !== '204')
  if (unexpected.length > 0) throw new Error(`${name}: answers other than 204: ${JSON.stringify(result.statuses)}`)
  return result
}

/**
 * The baseline: Fastify parsing the JSON body and doing the façade's Redis work for a C8 (one token GET,
 * the card lookups, the registry's intake write), with none of its checks, translation or wake-up.
 */
async function startBareFacade (redis: Redis, prefix: string): Promise<{ url: string, close: () => Promise<void> }> {
  const keys = buildKeys(prefix, TEST_PSEUDONYM_KEY)
  const registry = new Registry({ redis, keys, downstreams: ['izly'] })
  const queues = new SyncQueues(redis, keys.bullPrefix(), ['izly'])
  const app = Fastify({ logger: false })
  app.patch<{ Params: { id: string, idZdc: string } }>('/api-crous/beforeizly/v1/rightholders/:id/smartcard/:idZdc', async (request, reply) => {
    const token = String(request.headers.authorization ?? '').slice(7)
    await redis.get(`${prefix}:facade-crous:token:${createHash('sha256').update(token).digest('hex')}`)
    const { id, idZdc } = request.params
    await registry.findCard('idZdc', idZdc)
    const eventId = `bare:${idZdc}`
    await registry.accept({ eventId, occurredAt: new Date().toISOString(), card: { id: `crous-zdc-${idZdc}`, state: 'DISABLED', disableReason: 'LOST', crous: { idZdc, idTransmitter: 0, idMapping: 0, zdcCreationDate: '' } }, holder: { eppn: id, crousIdentifier: id, consents: { crous: true, esc: false } } }, eventId)
    await redis.sadd(`${prefix}:facade-crous:holder-cards:${id}`, `crous-zdc-${idZdc}`)
    await queues.wake('izly', 'oppose', `crous-zdc-${idZdc}`)
    return await reply.code(204).send()
  })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { url, close: async () => { await app.close(); await queues.close() } }
}

if (import.meta.main) {
  console.log(renderResults(await benchFacade()))
}
