// SPEC §6, §8: only Redis being unavailable is a 503 (with Retry-After); a stalled Redis (SIGSTOP: a
// partition, a failover, a blocked server) is answered within REDIS_REQUEST_TIMEOUT_MS like a refused
// connection, never left hanging; a gateway started while Redis is down keeps trying instead of exiting;
// a corrupt record or a Redis command error is a 500 with an error log, not "send it again".
import t from 'tap'
import { freePort } from '../../src/app/local-redis.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { startChildGateway } from '../helpers/child-gateway.ts'
import { startTestGateway, testEnv } from '../helpers/gateway.ts'
import { izlyCard, seedCard, testIzly } from '../helpers/izly.ts'
import { captureLogger, LOG_LEVELS } from '../helpers/capture-log.ts'
import { privateRedis } from '../helpers/private-redis.ts'
import { testRedis, uniquePrefix } from '../helpers/redis.ts'
import { CROUS_API_KEY } from '../helpers/validity.ts'
import { waitFor } from '../helpers/wait.ts'

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
  const redis = await privateRedis(t)
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
  const izly = await testIzly(t)
  const prefix = uniquePrefix()
  const gateway = await startChildGateway(t, testEnv({ izlyEndpoint: izly.url, prefix, redisUrl: `redis://127.0.0.1:${redisPort}` }))
  const status = async (path: string): Promise<number | undefined> => {
    try {
      return (await fetch(gateway.url + path, { signal: AbortSignal.timeout(3000) })).status
    } catch {
      return undefined
    }
  }
  t.equal(await status('/health/live'), 200, 'alive without Redis')
  t.equal(await status('/health/ready'), 503, 'not ready without Redis')
  t.equal(gateway.process.exitCode, null, 'still running')

  await privateRedis(t, [], { port: redisPort })
  await waitFor('readiness once Redis answers', async () => await status('/health/ready') === 200, 20_000)
  // The start-up policy check runs once Redis first answers (warn mode here: the private Redis has AOF on, noeviction).
  t.ok(await gateway.waitForLog(/^Redis setup checked/), 'the policy check ran when Redis came up')
  const enabled = cardEvent({ state: 'ENABLED' })
  seedCard(izly, enabled)
  const { signBody } = await import('../../src/intake/signature.ts')
  const { TEST_SECRET } = await import('../helpers/gateway.ts')
  const body = JSON.stringify(cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'THEFT' }))
  const accepted = await fetch(`${gateway.url}/sgc/v1/card-events`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-signature': signBody(TEST_SECRET, body) } })
  t.equal(accepted.status, 202)
  await waitFor('the opposition by the late-started workers', () => izlyCard(izly, enabled.card.crous?.idZdc as string)?.opposed === true, 20_000)
  gateway.process.kill('SIGTERM')
  t.same(await gateway.exited, { code: 0, signal: null }, 'drains and exits cleanly on SIGTERM')
})

t.test('a gateway started while Redis is down checks Redis when it comes up: unfit and REDIS_POLICY_CHECK=refuse, one line and exit 1', async (t) => {
  const redisPort = await freePort()
  const izly = await testIzly(t)
  const gateway = await startChildGateway(t, testEnv({ izlyEndpoint: izly.url, prefix: uniquePrefix(), redisUrl: `redis://127.0.0.1:${redisPort}`, extra: { REDIS_POLICY_CHECK: 'refuse' } }))
  t.equal(gateway.process.exitCode, null, 'running while Redis is down')
  // AOF off: a restart would forget accepted oppositions.
  await privateRedis(t, ['--appendonly', 'no'], { port: redisPort })
  t.same(await gateway.exited, { code: 1, signal: null }, 'exit 1 once Redis answered')
  const lines = gateway.stderr().split('\n').filter((line) => line.trim() !== '')
  t.equal(lines.length, 1, 'one line on stderr')
  t.match(lines[0], /^leocarte-gateway: Redis is not set up for production: appendonly is no/, 'naming the problem')
  t.notOk(gateway.lines.some((line) => /^Redis setup checked/.test(line.msg)), 'never taken as checked')
})

t.test('a corrupt record or a Redis command error is a 500 with an error log, not a 503 "send it again"', async (t) => {
  const izly = await testIzly(t)
  const log = captureLogger('error')
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
  const errors = log.lines.filter((line) => line.level === LOG_LEVELS.error)
  t.ok(errors.length >= 3, `each is logged as an error (${errors.length})`)
})
