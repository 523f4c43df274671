/**
 * The CROUS validity interfaces at saturation: REST and SOAP requests/s and p99 latency, each beside a
 * bare Fastify route doing the least the same protocol needs (a JSON GET; a text/xml POST answered with
 * a fixed envelope), measured in the same run; plus the foreign-card path answered from a warm cache.
 * `benchValidity()` is wired into `npm run bench` by run.ts; `node test/bench/validity-bench.ts` runs it alone.
 *
 * The gateway runs the API only, on the local Redis, with its own key prefix; the load comes from the
 * load generator thread (load-worker.ts) as in the other phases. BENCH_QUICK=1 divides the counts by ten.
 */
import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import { startGateway } from '../../src/app/gateway.ts'
import { loadConfig } from '../../src/config/load.ts'
import { fingerprint, normaliseCardEvent } from '../../src/intake/normalise.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { testEnv } from '../helpers/gateway.ts'
import { cleanPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.ts'
import { escnOf, startRouterStatusStub } from '../helpers/router-status-stub.ts'
import { checkEnvelope, CROUS_API_KEY, SOAP_USER } from '../helpers/validity.ts'
import { benchEvent, range } from './events.ts'
import { LoadClient } from './load-client.ts'
import type { ClosedLoadJob, ClosedLoadResult } from './protocol.ts'

type Job = Omit<ClosedLoadJob, 'kind'>
import { percentile, renderResults, type Row } from './stats.ts'

const SCALE = process.env.BENCH_QUICK === '1' ? 0.1 : 1
const scaled = (count: number): number => Math.max(1, Math.round(count * SCALE))
const RUN = { warmup: scaled(2_000), requests: scaled(20_000), concurrency: 64, connections: 32 }
/** Cards held in the registry, queried in turn (every state mix: a quarter opposed). */
const HELD_CARDS = 1_000
/** Foreign ESCNs the router stand-in knows, all asked once before the measured run. */
const FOREIGN_CARDS = 100
/** Series digit of the bench cards (run.ts uses 1 to 5). */
const SERIES = 6

const BARE_GET = '/bare-validity'
const BARE_SOAP = '/bare-soap'
const UNUSED_IZLY = 'http://127.0.0.1:9/izly'

export async function benchValidity (): Promise<Array<{ measure: string, gateway: number, baseline: number, unit: string }>> {
  const prefix = uniquePrefix()
  const load = new LoadClient()
  const bare = await startBareServer()
  const router = await startRouterStatusStub()
  const config = loadConfig(testEnv({
    izlyEndpoint: UNUSED_IZLY,
    prefix,
    role: 'api',
    extra: { PORT: '0', CROUS_API_KEYS: CROUS_API_KEY, CROUS_SOAP_USERS: `${SOAP_USER.user}:${SOAP_USER.password}`, ESC_ROUTER_STATUS_URL: router.baseUrl, LOG_LEVEL: 'silent' },
  }))
  const gateway = await startGateway({ config, logger: createLogger('silent'), listen: true })
  const origin = gateway.url as string
  try {
    const csns: string[] = []
    for (const index of range(0, HELD_CARDS)) {
      const event = normaliseCardEvent(benchEvent(SERIES, index, index % 4 === 3 ? 'DISABLED' : 'ENABLED'))
      await gateway.registry.accept(event, fingerprint(event))
      csns.push(event.card.csn as string)
    }
    const foreign = range(0, FOREIGN_CARDS).map((index) => escnOf(600_000 + index, '123456789'))
    for (const escn of foreign) router.put({ cardNumber: escn, status: 'ACTIVE', expiresAt: '2099-06-30', issuerIdentifier: '123456789', issuerName: 'Bench University' })

    const shape = { origin, concurrency: RUN.concurrency, connections: RUN.connections, countBatchResults: false, bodies: [], signatures: [] }
    const apiKey = { 'x-api-key': CROUS_API_KEY }
    const rest = (ids: string[], count: number): Job => ({ ...shape, path: '', method: 'GET', headers: apiKey, paths: range(0, count).map((index) => `/crous/v1/cards/${ids[index % ids.length] as string}/validity`) })
    const bareGet = (count: number): Job => ({ ...shape, origin: bare.url, path: '', method: 'GET', headers: apiKey, paths: range(0, count).map((index) => `${BARE_GET}/${csns[index % csns.length] as string}`) })
    // Every SOAP request carries a fresh nonce (a replayed one is refused), so bodies are built just before their run.
    const soap = (count: number, target: string, path: string): Job => {
      const bodies = range(0, count).map((index) => checkEnvelope(csns[index % csns.length] as string, { auth: 'PasswordDigest', nonce: randomBytes(16).toString('base64') }))
      return { ...shape, origin: target, path, method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8' }, bodies, signatures: [] }
    }

    const rows: Row[] = []
    const measure = async (name: string, subjectJob: (count: number) => Job, baselineJob: (count: number) => Job, unit = 'requests/s'): Promise<void> => {
      await run(load, subjectJob(RUN.warmup), `${name} warm-up`)
      await run(load, baselineJob(RUN.warmup), `${name} baseline warm-up`)
      const baseline = await run(load, baselineJob(RUN.requests), `${name} baseline`)
      const subject = await run(load, subjectJob(RUN.requests), name)
      rows.push(
        { measure: `${name}: throughput`, gateway: rate(subject), baseline: rate(baseline), unit },
        { measure: `${name}: latency p99 (${RUN.concurrency} in flight)`, gateway: percentile(subject.latenciesMs, 99), baseline: percentile(baseline.latenciesMs, 99), unit: 'ms', digits: 1 },
      )
    }
    await measure('validity REST (registry)', (count) => rest(csns, count), bareGet)
    await measure('validity SOAP 1.1, PasswordDigest (registry)', (count) => soap(count, origin, '/crous/v1/soap'), (count) => soap(count, bare.url, BARE_SOAP))
    await run(load, rest(foreign, FOREIGN_CARDS), 'foreign cache fill')
    const routerCalls = router.calls.length
    await measure('validity REST, foreign card (warm cache)', (count) => rest(foreign, count), bareGet)
    if (router.calls.length !== routerCalls) throw new Error(`the warm-cache run called the router ${router.calls.length - routerCalls} times`)
    return rows
  } finally {
    await gateway.close()
    await router.close()
    await bare.close()
    await load.close()
    await cleanPrefix(REDIS_URL, prefix)
  }
}

async function run (load: LoadClient, job: Job, name: string): Promise<ClosedLoadResult> {
  const result = await load.closed(job)
  const unexpected = Object.entries(result.statuses).filter(([status]) => status !== '200')
  if (unexpected.length > 0) throw new Error(`${name}: answers other than 200: ${JSON.stringify(result.statuses)}`)
  return result
}

function rate (result: ClosedLoadResult): number {
  return result.requests / (result.elapsedMs / 1000)
}

/** Fastify alone: a JSON GET with a path parameter, and a text/xml POST answered with a fixed envelope. */
async function startBareServer (): Promise<{ url: string, close: () => Promise<void> }> {
  const app = Fastify({ logger: false })
  const answer = '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><CheckCardValidityResponse xmlns="urn:leocarte:crous-card-validity:v1"><validity><valid>true</valid></validity></CheckCardValidityResponse></soap:Body></soap:Envelope>'
  app.addContentTypeParser('text/xml', { parseAs: 'string' }, (_request, body, done) => { done(null, body) })
  app.get<{ Params: { id: string } }>(`${BARE_GET}/:id`, async (request) => ({ cardId: request.params.id, valid: true }))
  app.post(BARE_SOAP, async (_request, reply) => await reply.type('text/xml; charset=utf-8').send(answer))
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { url, close: async () => await app.close() }
}

if (import.meta.main) {
  const rows = await benchValidity()
  console.log(renderResults(rows))
}
