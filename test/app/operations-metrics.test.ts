// SPEC §8, the real service level made visible: the age of the oldest pending opposition per downstream,
// breakers, paused or rate-limited queues (refused on the opposition lanes of the dashboard, loud
// elsewhere), bounded label sets; /metrics cheap (a constant number of Redis commands whatever the number
// of cards) and never stale (a Redis failure clears the gauges and raises an error gauge).
import { Redis } from 'ioredis'
import t from 'tap'
import { metricCode } from '../../src/observability/metrics.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway, TEST_ADMIN_TOKEN, type TestGateway } from '../helpers/gateway.ts'
import { izlyCard, seedCard, testIzly } from '../helpers/izly.ts'
import { captureLogger, LOG_LEVELS } from '../helpers/capture-log.ts'
import { privateRedis } from '../helpers/private-redis.ts'
import { driveToRest } from '../helpers/rest.ts'
import { waitFor } from '../helpers/wait.ts'

async function metric (gateway: TestGateway, pattern: RegExp): Promise<number | undefined> {
  const body = (await gateway.app.inject({ method: 'GET', url: '/metrics' })).body
  const match = pattern.exec(body)
  return match === null ? undefined : Number(match[1])
}

t.test('the age of the oldest pending opposition is exported per downstream, and falls to 0 once Izly acknowledges', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url })
  izly.setOutage('http503')
  const enabled = cardEvent({ state: 'ENABLED' })
  seedCard(izly, enabled)
  await gateway.post(cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'LOST' }))
  await gateway.sweeper?.pass()
  const oldest = /leocarte_oldest_pending_opposition_seconds\{downstream="izly"\} ([0-9.e+-]+)/
  const first = await metric(gateway, oldest)
  t.ok(first !== undefined && first > 0, `an opposition is pending (${first ?? 'absent'} s)`)
  await waitFor('it to age between sweeps', async () => (await metric(gateway, oldest) ?? 0) > (first ?? 0))
  t.match(await metric(gateway, /leocarte_sweep_age_seconds\{downstream="izly"\} ([0-9.e+-]+)/), Number, 'and so is the age of the last sweep')

  izly.setOutage('off')
  await driveToRest(gateway)
  await gateway.sweeper?.pass()
  t.equal(izlyCard(izly, enabled.card.crous?.idZdc as string)?.opposed, true)
  t.equal(await metric(gateway, oldest), 0, 'nothing pending any more')
})

t.test('the dashboard refuses to pause or limit an opposition lane; an enablement lane may be, and the metrics and the sweeper say so', async (t) => {
  const izly = await testIzly(t)
  const log = captureLogger('warn')
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, logger: log.logger })
  const put = async (path: string, payload?: unknown): Promise<number> => (await gateway.app.inject({
    method: 'PUT',
    url: `/admin/queues/api${path}`,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  })).statusCode
  t.equal(await put('/queues/izly-oppose/pause'), 403, 'pause the opposition lane: refused')
  t.equal(await put('/queues/pause'), 403, 'pause every queue: refused')
  t.equal(await put('/queues/izly-oppose/rate-limit', { max: 1, duration: 60_000 }), 403, 'rate-limit the opposition lane: refused')
  t.equal(await put('/queues/izly-oppose/concurrency', { concurrency: 1 }), 403, 'limit its concurrency: refused')
  t.equal(await gateway.queues.queue('izly', 'oppose').isPaused(), false)
  t.ok((await put('/queues/izly-enable/pause')) < 300, 'pausing the enablement lane is allowed')
  t.ok((await put('/queues/izly-enable/rate-limit', { max: 10, duration: 1000 })) < 300, 'and limiting it')
  t.equal(await metric(gateway, /leocarte_queue_paused\{queue="izly-enable"\} (\d)/), 1)
  t.equal(await metric(gateway, /leocarte_queue_rate_limited\{queue="izly-enable"\} (\d)/), 1)
  t.equal(await metric(gateway, /leocarte_queue_paused\{queue="izly-oppose"\} (\d)/), 0)

  // Paused some other way (the BullMQ API, redis-cli): loud in the metrics and at every sweep.
  await gateway.queues.queue('izly', 'oppose').pause()
  t.teardown(async () => await gateway.queues.queue('izly', 'oppose').resume())
  t.equal(await metric(gateway, /leocarte_queue_paused\{queue="izly-oppose"\} (\d)/), 1)
  await gateway.sweeper?.pass()
  t.ok(log.lines.some((line) => line.level === LOG_LEVELS.error && line.queue === 'izly-oppose' && /paused/.test(String(line.msg))), 'the sweeper logs an error')
})

t.test('/metrics reads Redis with a constant number of commands, whatever the number of cards', async (t) => {
  const redis = await privateRedis(t)
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, redisUrl: redis.url, role: 'api', cleanup: false })
  const probe = new Redis(redis.url)
  t.teardown(() => probe.disconnect())
  const commandsForOneScrape = async (): Promise<number> => {
    const processed = async (): Promise<number> => Number(/total_commands_processed:(\d+)/.exec(await probe.info('stats'))?.[1])
    const before = await processed()
    await gateway.app.inject({ method: 'GET', url: '/metrics' })
    return await processed() - before - 1 // the INFO itself
  }
  await gateway.postBatch(Array.from({ length: 10 }, () => cardEvent({ state: 'DISABLED' })))
  const few = await commandsForOneScrape()
  for (let batch = 0; batch < 3; batch++) await gateway.postBatch(Array.from({ length: 1000 }, () => cardEvent({ state: 'DISABLED' })))
  const many = await commandsForOneScrape()
  t.equal(many, few, `${few} commands for 10 pending cards, ${many} for 3,010`)
})

t.test('a Redis failure clears the gauges read from it and raises leocarte_metrics_redis_failed: nothing stale is exported', async (t) => {
  const redis = await privateRedis(t)
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, redisUrl: redis.url, role: 'api', cleanup: false, extra: { REDIS_REQUEST_TIMEOUT_MS: '2000' } })
  t.equal((await gateway.post(cardEvent({ state: 'DISABLED' }))).status, 202)
  t.equal(await metric(gateway, /leocarte_cards_out_of_sync\{downstream="izly"\} (\d+)/), 1)
  t.equal(await metric(gateway, /^leocarte_metrics_redis_failed (\d)$/m), 0)
  redis.process.kill('SIGSTOP')
  t.equal(await metric(gateway, /leocarte_cards_out_of_sync\{downstream="izly"\} (\d+)/), undefined, 'the out-of-sync count is left out, not shown as it was')
  t.equal(await metric(gateway, /leocarte_queue_jobs\{[^}]*\} (\d+)/), undefined, 'so are the queue depths')
  t.equal(await metric(gateway, /^leocarte_metrics_redis_failed (\d)$/m), 1)
  t.match(await metric(gateway, /leocarte_intake_events_total\{result="accepted"\} (\d+)/), 1, 'what the process knows itself is still served')
  redis.process.kill('SIGCONT')
  await waitFor('the gauges back', async () => await metric(gateway, /leocarte_cards_out_of_sync\{downstream="izly"\} (\d+)/) === 1)
  t.equal(await metric(gateway, /^leocarte_metrics_redis_failed (\d)$/m), 0)
})

t.test('fault codes a downstream invents are OTHER as a label: the label set stays bounded', async (t) => {
  for (const known of ['-42', '-9', 'HTTP_503', 'HTTP_401', 'TIMEOUT', 'INVALID_RESPONSE', 'RESPONSE_TOO_LARGE', 'ECONNREFUSED', 'SE-0000', 'ER-0019', 'SOAP_Server', 'TOKEN_HTTP_503', 'TOKEN_HTTP_401', 'TOKEN_TIMEOUT', 'TOKEN_ECONNREFUSED', 'TOKEN_INVALID_RESPONSE']) t.equal(metricCode(known), known)
  for (const invented of ['TOKEN_', 'TOKEN_-42x', 'TOKEN_TOKEN_HTTP_401']) t.equal(metricCode(invented), 'TOKEN_OTHER', `${invented}: a token code of no known kind`)
  for (const invented of ['-4242', 'ER-0007', 'CARD_REGISTERED_TO_ANOTHER_HOLDER', 'SOAP_x' + 'y'.repeat(40), 'HTTP_9999']) t.equal(metricCode(invented), 'OTHER', invented)
})
