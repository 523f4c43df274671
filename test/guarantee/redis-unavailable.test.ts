// SPEC §6, §8: only Redis being unavailable is a 503 (with Retry-After); a stalled Redis (SIGSTOP: a
// partition, a failover, a blocked server) is answered within REDIS_REQUEST_TIMEOUT_MS like a refused
// connection, never left hanging; a gateway started while Redis is down keeps trying instead of exiting;
// a corrupt record or a Redis command error is a 500 with an error log, not "send it again".
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { freePort, startLocalRedis } from '../../src/app/local-redis.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway, testEnv } from '../helpers/gateway.ts'
import { izlyCard, seedCard, testIzly } from '../helpers/izly.ts'
import { captureLog } from '../helpers/log-capture.ts'
import { testRedis, uniquePrefix } from '../helpers/redis.ts'
import { CROUS_API_KEY } from '../helpers/validity.ts'
import { waitFor } from '../helpers/wait.ts'

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url))

/** `answer`, or a failure saying it hung: a request that waits on a stopped Redis forever is the bug. */
async function answered<T> (what: string, answer: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const hung = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer while Redis was stopped`)), 15_000) })
  try {
    return await Promise.race([answer, hung])
  } finally {
    clearTimeout(timer)
  }
}

t.test('a stalled Redis (SIGSTOP): intake, batch, validity, admin and readiness answer 503 with Retry-After, liveness 200', async (t) => {
  const redis = await startLocalRedis()
  t.teardown(async () => {
    redis.process.kill('SIGCONT')
    await redis.stop('SIGKILL', true)
  })
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, redisUrl: redis.url, role: 'api', cleanup: false, extra: { CROUS_API_KEYS: CROUS_API_KEY, REDIS_REQUEST_TIMEOUT_MS: '1000' } })
  const enabled = cardEvent({ state: 'ENABLED' })
  t.equal((await gateway.post(enabled)).status, 202)

  redis.process.kill('SIGSTOP')
  const get = async (url: string, headers: Record<string, string> = {}): Promise<{ status: number, retryAfter: unknown, ms: number }> => {
    const started = Date.now()
    const response = await gateway.app.inject({ method: 'GET', url, headers })
    return { status: response.statusCode, retryAfter: response.headers['retry-after'], ms: Date.now() - started }
  }
  const timed = async (answer: Promise<{ status: number, body: unknown, headers?: unknown }>): Promise<{ status: number, ms: number }> => {
    const started = Date.now()
    const { status } = await answer
    return { status, ms: Date.now() - started }
  }
  const [single, batch, validity, admin, ready, live] = await answered('requests', Promise.all([
    timed(gateway.post(cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'LOST' }))),
    timed(gateway.postBatch([cardEvent({ state: 'DISABLED' }), cardEvent({ state: 'ENABLED' })])),
    get(`/crous/v1/cards/${enabled.card.csn}/validity`, { 'x-api-key': CROUS_API_KEY }),
    get(`/admin/v1/cards/${enabled.card.id}`, { authorization: 'Bearer test-admin-token-0123456789' }),
    get('/health/ready'),
    get('/health/live'),
  ]))
  t.equal(single?.status, 503, 'single intake')
  t.equal(batch?.status, 503, 'batch intake (nothing stored)')
  t.match(validity, { status: 503, retryAfter: '5' }, 'validity lookup')
  t.match(admin, { status: 503, retryAfter: '5' }, 'admin API')
  t.match(ready, { status: 503, retryAfter: '5' }, 'readiness')
  t.match(live, { status: 200 }, 'liveness never depends on Redis')
  t.comment(`answered while Redis was stopped in: single ${single?.ms} ms, batch ${batch?.ms} ms, validity ${validity?.ms} ms, admin ${admin?.ms} ms, ready ${ready?.ms} ms (REDIS_REQUEST_TIMEOUT_MS 1000)`)
  const retried = await gateway.app.inject({ method: 'POST', url: '/sgc/v1/card-events', payload: '{}', headers: { 'content-type': 'application/json' } })
  t.equal(retried.statusCode, 401, 'what does not need Redis is still answered as usual')

  redis.process.kill('SIGCONT')
  const lost = cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'LOST' })
  t.equal((await gateway.post(lost)).status, 202, 'Redis back: accepted')
  t.equal((await gateway.post(lost)).status, 202, 'and the same again is a duplicate, never a 503')
  await gateway.close()
})

t.test('a gateway started while Redis is down keeps trying (liveness 200, readiness 503), then serves and syncs once Redis is up', async (t) => {
  const redisPort = await freePort()
  const httpPort = await freePort()
  const izly = await testIzly(t)
  const prefix = uniquePrefix()
  const env = { ...process.env, ...testEnv({ izlyEndpoint: izly.url, prefix, redisUrl: `redis://127.0.0.1:${redisPort}`, extra: { PORT: String(httpPort) } }) }
  const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGKILL')
    await exited
  })
  const base = `http://127.0.0.1:${httpPort}`
  const status = async (path: string): Promise<number | undefined> => {
    try {
      return (await fetch(base + path, { signal: AbortSignal.timeout(3000) })).status
    } catch {
      return undefined
    }
  }
  await waitFor(`the gateway to listen (stderr: ${stderr})`, async () => await status('/health/live') === 200, 20_000)
  t.equal(await status('/health/ready'), 503, 'not ready without Redis')
  t.equal(child.exitCode, null, 'still running')

  const redis = await startLocalRedis({ port: redisPort })
  t.teardown(async () => await redis.stop('SIGKILL', true))
  await waitFor('readiness once Redis answers', async () => await status('/health/ready') === 200, 20_000)
  const enabled = cardEvent({ state: 'ENABLED' })
  seedCard(izly, enabled)
  const { signBody } = await import('../../src/intake/signature.ts')
  const { TEST_SECRET } = await import('../helpers/gateway.ts')
  const body = JSON.stringify(cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'THEFT' }))
  const accepted = await fetch(`${base}/sgc/v1/card-events`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-signature': signBody(TEST_SECRET, body) } })
  t.equal(accepted.status, 202)
  await waitFor('the opposition by the late-started workers', () => izlyCard(izly, enabled.card.crous?.idZdc as string)?.opposed === true, 20_000)
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'drains and exits cleanly on SIGTERM')
})

t.test('a corrupt record or a Redis command error is a 500 with an error log, not a 503 "send it again"', async (t) => {
  const izly = await testIzly(t)
  const log = captureLog('error')
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, role: 'api', logger: log.logger, extra: { CROUS_API_KEYS: CROUS_API_KEY } })
  const redis = await testRedis(t, gateway.prefix)
  const corrupt = cardEvent({ state: 'ENABLED' })
  await redis.hset(`${gateway.prefix}:card:${corrupt.card.id}`, 'version', '1', 'record', '{"version":1,"card":')
  await redis.set(`${gateway.prefix}:index:csn:${corrupt.card.csn ?? ''}`, corrupt.card.id)
  const wrongType = cardEvent({ state: 'ENABLED' })
  await redis.set(`${gateway.prefix}:card:${wrongType.card.id}`, 'not a hash')

  const corruptIntake = await gateway.post(cardEvent({ cardId: corrupt.card.id, state: 'DISABLED' }))
  t.equal(corruptIntake.status, 500, 'intake on a corrupt record')
  t.equal((await gateway.post(wrongType)).status, 500, 'intake meeting a WRONGTYPE reply')
  const lookup = await gateway.app.inject({ method: 'GET', url: `/crous/v1/cards/${corrupt.card.csn ?? ''}/validity`, headers: { 'x-api-key': CROUS_API_KEY } })
  t.equal(lookup.statusCode, 500, 'validity on a corrupt record')
  t.equal(lookup.headers['retry-after'], undefined, 'no Retry-After: resending would not help')
  const errors = log.lines().filter((line) => line.level === 50)
  t.ok(errors.length >= 3, `each is logged as an error (${errors.length})`)
})
