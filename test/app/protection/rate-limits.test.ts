// One test per limit (intake, validity REST, validity SOAP, admin, failed authentications), limits shared by
// two API instances on one Redis, and what a limit check does when Redis cannot answer it.
import Fastify from 'fastify'
import t from 'tap'
import { clientFingerprint, createProtection, protectionMetrics } from '../../../src/app/protection/rate-limits.ts'
import { loadConfig } from '../../../src/config/load.ts'
import { createMetrics } from '../../../src/observability/metrics.ts'
import { createRedis } from '../../../src/registry/redis.ts'
import { cardEvent } from '../../fixtures/card-events.ts'
import { TEST_ADMIN_TOKEN, testEnv } from '../../helpers/gateway.ts'
import { checkAnswer } from '../../helpers/openapi-contract.ts'
import { TEST_PSEUDONYM_KEY, testRedis, uniquePrefix } from '../../helpers/redis.ts'
import { checkEnvelope, CROUS_API_KEY, startValidityGateway } from '../../helpers/validity.ts'

const SECOND_KEY = 'test-crous-api-key-second-0123'

t.test('intake: the SGC beyond RATE_LIMIT_SGC is answered 429 with Retry-After, and nothing of it is stored', async (t) => {
  const gateway = await startValidityGateway(t, { extra: { RATE_LIMIT_SGC: '3' } })
  for (let i = 0; i < 3; i++) t.equal((await gateway.post(cardEvent({ state: 'ENABLED' }))).status, 202, `event ${i + 1} accepted`)
  const over = cardEvent({ state: 'ENABLED' })
  const refused = await gateway.post(over)
  t.match(refused, { status: 429, body: { type: /\/rate-limited$/, status: 429 } })
  t.equal(await gateway.registry.getCard(over.card.id), undefined, 'the refused event changed nothing')
  // The batch route counts against the same client.
  t.equal((await gateway.postBatch([cardEvent({ state: 'ENABLED' })])).status, 429)
})

t.test('validity REST: each API key has its own RATE_LIMIT_VALIDITY', async (t) => {
  const gateway = await startValidityGateway(t, { extra: { RATE_LIMIT_VALIDITY: '2', CROUS_API_KEYS: `${CROUS_API_KEY},${SECOND_KEY}` } })
  const event = cardEvent({ state: 'ENABLED' })
  await gateway.post(event)
  const path = `/crous/v1/cards/${event.card.csn}/validity`
  t.equal((await gateway.rest(path)).status, 200)
  t.equal((await gateway.rest(path)).status, 200)
  const refused = await gateway.rest(path)
  t.match(refused, { status: 429, body: { type: /\/rate-limited$/ } })
  t.ok(Number(refused.headers['retry-after']) >= 1, 'Retry-After in seconds')
  const wire = await gateway.app.inject({ method: 'GET', url: path, headers: { 'x-api-key': CROUS_API_KEY } })
  checkAnswer(t, 'get', '/crous/v1/cards/{cardId}/validity', wire, 'over the limit')
  t.equal((await gateway.rest(path, SECOND_KEY)).status, 200, 'another key (another CROUS client) is still answered')
  const metrics = await gateway.metrics.registry.getSingleMetricAsString('leocarte_rate_limited_total')
  t.match(metrics, /leocarte_rate_limited_total\{interface="validity-rest",limit="client"\} 2/)
})

t.test('validity SOAP: over the limit, a fault in the caller\'s SOAP version with HTTP 429 and Retry-After', async (t) => {
  const gateway = await startValidityGateway(t, { extra: { RATE_LIMIT_VALIDITY: '1' } })
  const event = cardEvent({ state: 'ENABLED' })
  await gateway.post(event)
  const csn = event.card.csn as string
  t.equal((await gateway.soap(checkEnvelope(csn))).status, 200)
  const soap11 = await gateway.soap(checkEnvelope(csn))
  t.equal(soap11.status, 429)
  t.match(soap11.headers['content-type'], /^text\/xml/)
  t.match(soap11.body, /<soap:Fault><faultcode>soap:Client<\/faultcode><faultstring>over 1 requests within 60 s/)
  t.ok(Number(soap11.headers['retry-after']) >= 1)
  const soap12 = await gateway.soap(checkEnvelope(csn, { version: '1.2' }), 'application/soap+xml; charset=utf-8')
  t.equal(soap12.status, 429)
  t.match(soap12.headers['content-type'], /^application\/soap\+xml/)
  t.match(soap12.body, /<soap:Code><soap:Value>soap:Sender<\/soap:Value><\/soap:Code>/)
  // The REST face of the same CROUS caller counts apart (a key, not a SOAP user).
  t.equal((await gateway.rest(`/crous/v1/cards/${csn}/validity`)).status, 200)
})

t.test('admin: one token beyond RATE_LIMIT_ADMIN, over the API and the queue dashboard together', async (t) => {
  const gateway = await startValidityGateway(t, { extra: { RATE_LIMIT_ADMIN: '2' } })
  t.equal((await gateway.admin('GET', '/admin/v1/attention')).status, 200)
  const dashboard = await gateway.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })
  t.equal(dashboard.statusCode, 200)
  const refused = await gateway.admin('GET', '/admin/v1/attention')
  t.match(refused, { status: 429, body: { type: /\/rate-limited$/ } })
})

t.test('failed authentications: RATE_LIMIT_FAILED_AUTH per address, whatever the interface, then even a good credential waits', async (t) => {
  const gateway = await startValidityGateway(t, { extra: { RATE_LIMIT_FAILED_AUTH: '3' } })
  const event = cardEvent({ state: 'ENABLED' })
  await gateway.post(event)
  const path = `/crous/v1/cards/${event.card.csn}/validity`
  t.equal((await gateway.rest(path, 'wrong-key-0123456789')).status, 401)
  t.equal((await gateway.app.inject({ method: 'GET', url: '/admin/v1/attention', headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode, 401)
  const soap = await gateway.soap(checkEnvelope(event.card.csn as string, { password: 'wrong-password' }))
  t.match(soap.body, /FailedAuthentication/, 'a refused UsernameToken counts too')
  const refused = await gateway.rest(path)
  t.match(refused, { status: 429, body: { type: /\/too-many-failed-authentications$/ } }, 'the right key from that address is refused until the window ends')
  t.ok(Number(refused.headers['retry-after']) >= 1)
  const soapRefused = await gateway.soap(checkEnvelope(event.card.csn as string))
  t.equal(soapRefused.status, 429)
  t.match(soapRefused.body, /<faultcode>soap:Client<\/faultcode>/, 'a SOAP caller gets a fault')
  const other = await gateway.app.inject({ method: 'GET', url: path, headers: { 'x-api-key': CROUS_API_KEY }, remoteAddress: '192.0.2.7' })
  t.equal(other.statusCode, 200, 'another address is not affected')
})

t.test('limits hold across two API instances on one Redis', async (t) => {
  const prefix = uniquePrefix()
  const extra = { RATE_LIMIT_VALIDITY: '4' }
  const one = await startValidityGateway(t, { prefix, extra })
  const two = await startValidityGateway(t, { prefix, extra, cleanup: false })
  const event = cardEvent({ state: 'ENABLED' })
  await one.post(event)
  const path = `/crous/v1/cards/${event.card.csn}/validity`
  const statuses = []
  for (const gateway of [one, two, one, two, one, two]) statuses.push((await gateway.rest(path)).status)
  t.same(statuses, [200, 200, 200, 200, 429, 429], 'four in all, wherever they land')
  const redis = await testRedis(t, prefix)
  const keys = await redis.keys(`${prefix}:rate-limit:*`)
  const counter = `${prefix}:rate-limit:validity-rest:key:${clientFingerprint(CROUS_API_KEY)}`
  t.same(keys.sort(), [`${prefix}:rate-limit:intake:sgc`, counter], 'one counter per client, named by the interface and a fingerprint of the key (never the key)')
  t.equal(await redis.get(counter), '6', 'both instances counted on it')
  t.ok(await redis.pttl(counter) > 0, 'which expires with its window')
})

t.test('when Redis cannot count: validity goes on unlimited, the admin scope answers 503', async (t) => {
  const config = loadConfig(testEnv({ izlyEndpoint: 'http://127.0.0.1:9/izly', prefix: uniquePrefix() }))
  // Nothing listens on port 1: every command fails at once (no offline queue).
  const redis = createRedis('redis://127.0.0.1:1', 'intake', 'rate-limit-test', 100)
  redis.on('error', () => {})
  t.teardown(() => { redis.disconnect() })
  const app = Fastify()
  const metrics = createMetrics()
  const protection = await createProtection(app, { config: config.protection.rateLimit, redis, namespace: 'unused:', pseudonymKey: TEST_PSEUDONYM_KEY, metrics: protectionMetrics(metrics.registry) })
  await protection.guard(app, 'validity-rest', async (scope) => { scope.get('/validity', async () => ({ ok: true })) })
  await protection.guard(app, 'admin', async (scope) => { scope.get('/admin', async () => ({ ok: true })) })
  t.teardown(async () => { await app.close() })
  t.equal((await app.inject('/validity')).statusCode, 200, 'fail-open: a till keeps its answers')
  const admin = await app.inject('/admin')
  t.equal(admin.statusCode, 503, 'fail-closed')
  t.equal(admin.headers['retry-after'], '5', 'the Retry-After of every Redis outage')
  t.match(admin.json(), { type: /\/rate-limit-unavailable$/ })
  t.match(await metrics.registry.getSingleMetricAsString('leocarte_rate_limit_store_errors_total'), /interface="validity-rest"\} [1-9]/)
})
