// Load shedding under pressure made on demand (under-pressure's check, false = under pressure): no timing.
// The event-loop check is off here: on a loaded machine it could fire first, and it is not what is tested.
import t, { type Test } from 'tap'
import { type Gateway, startGateway } from '../../../src/app/gateway.ts'
import { loadConfig } from '../../../src/config/load.ts'
import { createLogger } from '../../../src/observability/logger.ts'
import { cardEvent } from '../../fixtures/card-events.ts'
import { TEST_ADMIN_TOKEN, TEST_SECRET, testEnv } from '../../helpers/gateway.ts'
import { cleanPrefix, uniquePrefix } from '../../helpers/redis.ts'
import { checkEnvelope, CROUS_API_KEY, SOAP_USER } from '../../helpers/validity.ts'
import { signBody } from '../../../src/intake/signature.ts'

async function gatewayUnder (t: Test, pressure: boolean): Promise<Gateway> {
  const prefix = uniquePrefix()
  const config = loadConfig(testEnv({ izlyEndpoint: 'http://127.0.0.1:9/izly', prefix, role: 'api', extra: { CROUS_API_KEYS: CROUS_API_KEY, CROUS_SOAP_USERS: `${SOAP_USER.user}:${SOAP_USER.password}`, SHED_RETRY_AFTER_SECONDS: '7', SHED_EVENT_LOOP_DELAY_MS: '0' } }))
  const gateway = await startGateway({ config, logger: createLogger('silent'), listen: false, pressureCheck: async () => !pressure })
  t.teardown(async () => {
    await gateway.close()
    await cleanPrefix(config.redisUrl, prefix)
  })
  return gateway
}

t.test('under pressure: 503 with Retry-After in each interface\'s format; health and metrics still answer', async (t) => {
  const { app, metrics, registry } = await gatewayUnder(t, true)
  const event = cardEvent({ state: 'DISABLED' })
  const body = JSON.stringify(event)
  const intake = await app.inject({ method: 'POST', url: '/sgc/v1/card-events', payload: body, headers: { 'content-type': 'application/json', 'x-signature': signBody(TEST_SECRET, body) } })
  t.equal(intake.statusCode, 503, 'intake: the SGC sends again later, nothing stored')
  t.equal(intake.headers['retry-after'], '7')
  t.match(intake.json(), { type: /\/overloaded$/, status: 503 })
  t.equal(await registry.getCard(event.card.id), undefined, 'nothing stored')
  const rest = await app.inject({ method: 'GET', url: '/crous/v1/cards/X/validity', headers: { 'x-api-key': CROUS_API_KEY } })
  t.match({ status: rest.statusCode, retry: rest.headers['retry-after'] }, { status: 503, retry: '7' })
  const soap12 = await app.inject({ method: 'POST', url: '/crous/v1/soap', payload: checkEnvelope('X', { version: '1.2' }), headers: { 'content-type': 'application/soap+xml' } })
  t.equal(soap12.statusCode, 503)
  t.match(soap12.headers['content-type'], /^application\/soap\+xml/)
  t.match(soap12.body, /<soap:Value>soap:Receiver<\/soap:Value>.*overloaded/, 'a SOAP 1.2 Receiver fault')
  const admin = await app.inject({ method: 'GET', url: '/admin/v1/attention', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })
  t.equal(admin.statusCode, 503)
  t.equal((await app.inject('/health/live')).statusCode, 200, 'liveness answers: a busy pod is not restarted')
  t.equal((await app.inject('/health/ready')).statusCode, 200, 'readiness says what Redis says')
  const scrape = await app.inject('/metrics')
  t.equal(scrape.statusCode, 200, 'metrics answer')
  t.match(scrape.body, /leocarte_load_shed_total\{reason="healthCheck"\} 4/)
  t.match(scrape.body, /leocarte_event_loop_delay_seconds \d/)
  t.ok(metrics.registry.getSingleMetric('leocarte_event_loop_delay_seconds'))
})

t.test('without pressure nothing is shed', async (t) => {
  const { app } = await gatewayUnder(t, false)
  const rest = await app.inject({ method: 'GET', url: '/crous/v1/cards/04A1B2C3D4E5F6/validity', headers: { 'x-api-key': CROUS_API_KEY } })
  t.equal(rest.statusCode, 404, 'answered (an unknown card), not shed')
  t.match(String((await app.inject('/metrics')).body), /leocarte_event_loop_delay_seconds/)
})
