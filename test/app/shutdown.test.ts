// The shutdown sequence, on real gateway processes (node src/main.ts): SIGTERM makes readiness fail
// first, requests and jobs in flight finish (or jobs go back to the queue), the process exits 0; a stuck
// shutdown ends at SHUTDOWN_TIMEOUT_MS with exit code 1; fatal errors are logged and exit 1.
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { jobIdFor } from '../../src/queue/lanes.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { startChildGateway } from '../helpers/child-gateway.ts'
import { startTestGateway, testEnv } from '../helpers/gateway.ts'
import { callsFor, izlyCard, seedCard, testIzly } from '../helpers/izly.ts'
import { privateRedis } from '../helpers/private-redis.ts'
import { uniquePrefix } from '../helpers/redis.ts'
import { escnOf, startRouterStatusStub } from '../helpers/router-status-stub.ts'
import { waitFor } from '../helpers/wait.ts'

const CRASH_FIXTURE = fileURLToPath(new URL('../fixtures/crash-on-sigwinch.ts', import.meta.url))
const UNUSED_IZLY = 'http://127.0.0.1:9/izly'
const API_KEY = 'shutdown-test-api-key-0123456789'

t.test('SIGTERM on the API: readiness fails first, requests are still served, the one in flight completes, exit 0', async (t) => {
  const router = await startRouterStatusStub(t)
  const escn = escnOf(7001, '123456789')
  router.put({ cardNumber: escn, status: 'ACTIVE', expiresAt: '2099-06-30', issuerIdentifier: '123456789' })
  // The request in flight outlasts the drain delay; both leave a loaded machine room to answer in time.
  router.latencyMs = 7_000
  const api = await startChildGateway(t, testEnv({
    izlyEndpoint: UNUSED_IZLY,
    prefix: uniquePrefix(),
    role: 'api',
    extra: { CROUS_API_KEYS: API_KEY, ESC_ROUTER_STATUS_URL: router.baseUrl, ROUTER_STATUS_TIMEOUT_MS: '30000', SHUTDOWN_DELAY_MS: '4000', SHUTDOWN_TIMEOUT_MS: '30000' },
  }))
  t.equal((await fetch(`${api.url}/health/ready`)).status, 200, 'ready before')

  const inFlight = fetch(`${api.url}/crous/v1/cards/${escn}/validity`, { headers: { 'x-api-key': API_KEY } })
  await waitFor('the request to reach the router', () => router.calls.includes(escn))
  api.process.kill('SIGTERM')
  await api.waitForLog(/^shutting down: readiness fails/)
  const ready = await fetch(`${api.url}/health/ready`)
  t.equal(ready.status, 503, 'readiness fails at once')
  t.match(await ready.json(), { type: /shutting-down$/ })
  t.equal((await fetch(`${api.url}/health/live`)).status, 200, 'liveness does not: the process is healthy, only leaving')
  const meanwhile = await fetch(`${api.url}/crous/v1/cards/99990123/validity`, { headers: { 'x-api-key': API_KEY } })
  t.equal(meanwhile.status, 404, 'other requests are still answered during SHUTDOWN_DELAY_MS')
  t.equal(meanwhile.headers.get('connection'), 'close', 'each on a connection that ends with its answer')

  const answer = await inFlight
  t.equal(answer.status, 200, 'the request in flight got its answer')
  t.match(await answer.json(), { cardId: escn, valid: true, source: 'esc-router' })
  t.same(await api.exited, { code: 0, signal: null }, 'exit code 0')
  const order = api.lines.map((line) => line.msg).filter((msg) => /^shutting down|^shut down/.test(msg))
  t.same(order, ['shutting down: readiness fails from now on', 'shutting down: listener closed, finishing requests and jobs in flight', 'shut down cleanly'])
})

t.test('SIGTERM on a worker: the job it is running finishes before it exits 0', async (t) => {
  const izly = await testIzly(t)
  const prefix = uniquePrefix()
  const api = await startTestGateway(t, { izlyEndpoint: izly.url, prefix, role: 'api' })
  const enabled = cardEvent({ state: 'ENABLED' })
  seedCard(izly, enabled)
  const idZdc = enabled.card.crous?.idZdc as string
  const worker = await startChildGateway(t, testEnv({ izlyEndpoint: izly.url, prefix, role: 'worker', extra: { SHUTDOWN_TIMEOUT_MS: '20000' } }))

  izly.setLatency(1_500)
  t.equal((await api.post(cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'LOST' }))).status, 202)
  const queue = api.queues.queue('izly', 'oppose')
  await waitFor('the job to run', async () => await queue.getJobState(jobIdFor(enabled.card.id)) === 'active')
  worker.process.kill('SIGTERM')
  t.same(await worker.exited, { code: 0, signal: null }, 'exit code 0')
  t.match(izlyCard(izly, idZdc), { opposed: true, reason: 'DP' }, 'the call in flight was completed')
  t.equal((await api.admin('GET', `/admin/v1/cards/${enabled.card.id}`)).body.downstreams.izly.inLine, true, 'and confirmed before the exit')
  t.notOk(worker.lines.some((line) => /handed back/.test(line.msg)), 'nothing was handed back')
})

t.test('a job still running near the deadline is handed back to the queue, and another worker finishes it', async (t) => {
  const izly = await testIzly(t)
  const prefix = uniquePrefix()
  // JOB_LOCK_MS far beyond the test: the job can only move on because it was handed back, not by stalling.
  const slowLock = { JOB_LOCK_MS: '600000', STALLED_CHECK_MS: '600000' }
  const api = await startTestGateway(t, { izlyEndpoint: izly.url, prefix, role: 'api' })
  const enabled = cardEvent({ state: 'ENABLED' })
  seedCard(izly, enabled)
  const idZdc = enabled.card.crous?.idZdc as string
  const worker = await startChildGateway(t, testEnv({ izlyEndpoint: izly.url, prefix, role: 'worker', extra: { ...slowLock, IZLY_TIMEOUT_MS: '60000', SHUTDOWN_TIMEOUT_MS: '6000' } }))

  izly.setLatency(30_000)
  t.equal((await api.post(cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'THEFT' }))).status, 202)
  const queue = api.queues.queue('izly', 'oppose')
  await waitFor('the job to run', async () => await queue.getJobState(jobIdFor(enabled.card.id)) === 'active')
  worker.process.kill('SIGTERM')
  t.same(await worker.exited, { code: 0, signal: null }, 'exit code 0: handing back is a clean shutdown')
  t.ok(worker.lines.some((line) => /job handed back to the queue/.test(line.msg)), 'the hand-back is logged')
  t.equal(await queue.getJobState(jobIdFor(enabled.card.id)), 'waiting', 'the job is waiting again, not left active until its lock lapses')
  t.equal(izlyCard(izly, idZdc)?.opposed, false, 'Izly has not opposed the card yet')

  izly.setLatency(0)
  await startTestGateway(t, { izlyEndpoint: izly.url, prefix, role: 'worker', cleanup: false, extra: slowLock })
  await waitFor('the opposition', async () => (await api.admin('GET', `/admin/v1/cards/${enabled.card.id}`)).body.downstreams.izly.inLine === true)
  t.match(izlyCard(izly, idZdc), { opposed: true, reason: 'DV' })
  t.ok(callsFor(izly, 'OpposeSmartCard', idZdc).some((call) => call.result === 'OPPOSED'), 'opposed by the second worker')
})

t.test('a shutdown that cannot finish ends at SHUTDOWN_TIMEOUT_MS with a log line and exit code 1', async (t) => {
  const redis = await privateRedis(t)
  const worker = await startChildGateway(t, testEnv({ izlyEndpoint: UNUSED_IZLY, prefix: uniquePrefix(), role: 'worker', redisUrl: redis.url, extra: { SHUTDOWN_TIMEOUT_MS: '1500' } }))
  // Redis stops answering (frozen, its sockets still open): closing the connections can never complete.
  redis.process.kill('SIGSTOP')
  worker.process.kill('SIGTERM')
  t.same(await worker.exited, { code: 1, signal: null }, 'exit code 1')
  const line = worker.lines.find((entry) => /^shutdown deadline passed/.test(entry.msg))
  t.ok(line, 'the deadline is logged')
  t.match(line, { level: 60, timeoutMs: 1500 })
  t.notOk(worker.lines.some((entry) => entry.msg === 'shut down cleanly'))
})

for (const crash of ['exception', 'rejection'] as const) {
  t.test(`an uncaught ${crash} is logged, the gateway closes and exits 1`, async (t) => {
    const api = await startChildGateway(t, { ...testEnv({ izlyEndpoint: UNUSED_IZLY, prefix: uniquePrefix(), role: 'api' }), CRASH: crash }, { nodeArgs: ['--import', CRASH_FIXTURE] })
    api.process.kill('SIGWINCH')
    t.same(await api.exited, { code: 1, signal: null }, 'exit code 1')
    const fatal = api.lines.find((line) => /^uncaught exception or unhandled rejection/.test(line.msg))
    t.match(fatal, { level: 60, err: { message: crash === 'exception' ? 'test: an uncaught exception' : 'test: an unhandled rejection' } })
    t.ok(api.lines.some((line) => line.msg === 'shut down after a fatal error'), 'after an orderly close')
  })
}
