/**
 * ESC calls per second through the client against the ESC Router simulator, beside a baseline measured
 * in the same run: raw undici requests with the same JSON bodies to a bare Fastify route (bare.ts).
 * The difference is what the client (local validation, headers, error reading) and the simulator
 * (OpenAPI validation against openapi/esc-router-v2.yaml, its state) add over HTTP and the framework.
 *
 * `npm run bench` runs it through benchEscClient(); `node test/bench/esc-client-bench.ts` alone too.
 * BENCH_QUICK=1 divides the counts by ten.
 */
import { pathToFileURL } from 'node:url'
import { Agent } from 'undici'
import type { EscPerson } from '../../src/domain/esc-plan.ts'
import { createEscClient } from '../../src/downstream/esc/client.ts'
import { startEscSimulator } from '../../src/simulators/esc/server.ts'
import { BARE_PATH, startBareServer } from './bare.ts'

const SCALE = process.env.BENCH_QUICK === '1' ? 0.1 : 1
const WARMUP = Math.max(1, Math.round(500 * SCALE))
const CALLS = Math.max(1, Math.round(10_000 * SCALE))
/** Calls in flight at once, as a worker lane's concurrency would keep. */
const CONCURRENCY = 16
const PIC = '999859608'
const TOKEN = 'bench-esc-token'

export interface EscClientBenchResult {
  callsPerSecond: number
  baselineCallsPerSecond: number
  note: string
}

/** Person upserts (one POST answered 201 each) through the client, then the same bodies raw to bare Fastify. */
export async function benchEscClient (): Promise<EscClientBenchResult> {
  const simulator = await startEscSimulator({ host: '127.0.0.1', port: 0, token: TOKEN, pic: PIC })
  const bare = await startBareServer()
  const client = createEscClient({ baseUrl: simulator.url, token: TOKEN })
  const raw = new Agent({ keepAliveTimeout: 30_000 })
  try {
    const ctx = { correlationId: 'bench' }
    const upsert = async (index: number): Promise<void> => {
      if (await client.upsertPerson(personOf(index), ctx) !== 'created') throw new Error(`person ${index} was not created`)
    }
    const bareUrl = new URL(bare.url)
    const post = async (index: number): Promise<void> => {
      const response = await raw.request({
        origin: bareUrl.origin,
        path: BARE_PATH,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'x-correlation-id': 'bench' },
        body: JSON.stringify(personOf(index)),
      })
      await response.body.dump()
      if (response.statusCode !== 202) throw new Error(`bare answered ${response.statusCode}`)
    }

    await run(post, 0, WARMUP)
    await run(upsert, 0, WARMUP)
    const baselineMs = await run(post, WARMUP, CALLS)
    const clientMs = await run(upsert, WARMUP, CALLS)
    const rejected = simulator.calls.filter((call) => !call.valid).length
    return {
      callsPerSecond: CALLS / (clientMs / 1000),
      baselineCallsPerSecond: CALLS / (baselineMs / 1000),
      note: `${CALLS} person upserts (POST → 201), ${CONCURRENCY} in flight, one kept-alive pool each; ` +
        'baseline: the same JSON bodies with raw undici to a bare Fastify POST route; ' +
        `the simulator validated every call against openapi/esc-router-v2.yaml (${rejected} refused)`,
    }
  } finally {
    await client.close()
    await raw.close()
    await bare.close()
    await simulator.close()
  }
}

function personOf (index: number): EscPerson {
  return {
    identifier: `urn:schac:personalUniqueCode:int:esi:fr:${String(index).padStart(10, '0')}B`,
    identifierCode: 'ESI',
    personOrganisationUpdateViews: [{ organisationIdentifier: PIC, email: `student${index}@etu.example.fr`, fullName: `Student ${index}`, academicLevel: 'BACHELOR' }],
  }
}

/** Runs `call(first) … call(first + count - 1)` with CONCURRENCY in flight; returns the elapsed milliseconds. */
async function run (call: (index: number) => Promise<void>, first: number, count: number): Promise<number> {
  let next = first
  const end = first + count
  const started = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < end) await call(next++)
  }))
  return performance.now() - started
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchEscClient()
  console.log(`ESC client: ${result.callsPerSecond.toFixed(0)} calls/s; baseline ${result.baselineCallsPerSecond.toFixed(0)} calls/s\n${result.note}`)
}
