// The operators' side of the gateway answers what openapi/gateway.yaml says: every admin, health and
// metrics response of a real gateway is validated against the schema the document declares for it.
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app/build-app.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { createRedis } from '../../src/registry/redis.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway, TEST_ADMIN_TOKEN, type TestGateway } from '../helpers/gateway.ts'
import { izlyCard, seedCard, testIzly } from '../helpers/izly.ts'
import { checkAnswer, documentedOperations, gatewayDocument as document } from '../helpers/openapi-contract.ts'
import { waitFor } from '../helpers/wait.ts'

const called = new Set<string>()

/** Calls `method path` (path parameters filled from `params`) and checks the answer against the document. */
async function call (t: Test, app: TestGateway['app'], method: 'get' | 'post', path: string, options: { params?: Record<string, string>, query?: string, token?: string | null, json?: unknown } = {}): Promise<{ status: number, body: any }> {
  const url = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(options.params?.[name] ?? '')) + (options.query ?? '')
  const token = options.token === undefined ? TEST_ADMIN_TOKEN : options.token
  const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` }
  if (options.json !== undefined) headers['content-type'] = 'application/json'
  const response: LightMyRequestResponse = await app.inject({ method: method.toUpperCase() as 'GET' | 'POST', url, headers, ...(options.json !== undefined ? { payload: JSON.stringify(options.json) } : {}) })
  const body = checkAnswer(t, method, path, response, `${method.toUpperCase()} ${url}`)
  called.add(`${method} ${path}`)
  return { status: response.statusCode, body }
}

t.test('admin, health and metrics answers match the OpenAPI document', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url })
  const { app } = gateway

  // A card enabled then opposed: a full sync history.
  const enabled = cardEvent({ state: 'ENABLED', occurredAt: '2026-11-28T09:00:00+01:00' })
  const cardId = enabled.card.id
  const idZdc = enabled.card.crous?.idZdc as string
  t.equal((await gateway.post(enabled)).status, 202)
  await waitFor('registration', () => izlyCard(izly, idZdc)?.opposed === false)
  t.equal((await gateway.post(cardEvent({ cardId, state: 'DISABLED', disableReason: 'LOST', occurredAt: '2026-11-28T10:00:00+01:00' }))).status, 202)
  await waitFor('opposition in line', async () => (await gateway.admin('GET', `/admin/v1/cards/${cardId}`)).body.downstreams.izly.confirmedVersion === 2)

  // A card whose opposition meets a permanent fault: "needs attention", then replayed.
  const stuck = cardEvent({ state: 'ENABLED' })
  seedCard(izly, stuck)
  izly.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 422, code: '-42', message: 'Client inconnu', retryable: false, idZdc: stuck.card.crous?.idZdc as string })
  await gateway.post(cardEvent({ cardId: stuck.card.id, state: 'DISABLED', disableReason: 'THEFT' }))
  await waitFor('the attention entry', async () => (await gateway.admin('GET', '/admin/v1/attention')).body.count === 1)

  t.match((await call(t, app, 'get', '/admin/v1/cards/{cardId}', { params: { cardId } })).body, { version: 2, downstreams: { izly: { remoteState: 'opposed', inLine: true, needsAttention: null } } })
  t.match((await call(t, app, 'get', '/admin/v1/cards/{cardId}', { params: { cardId: stuck.card.id } })).body, { downstreams: { izly: { inLine: false, needsAttention: { code: '-42' } } } })
  t.equal((await call(t, app, 'get', '/admin/v1/cards/{cardId}', { params: { cardId: 'no-such-card' } })).status, 404)
  t.equal((await call(t, app, 'get', '/admin/v1/cards/{cardId}', { params: { cardId }, token: null })).status, 401)
  t.equal((await call(t, app, 'get', '/admin/v1/cards/{cardId}', { params: { cardId }, token: `${TEST_ADMIN_TOKEN}x` })).status, 401)

  const timeline = await call(t, app, 'get', '/admin/v1/cards/{cardId}/timeline', { params: { cardId } })
  t.same(new Set(timeline.body.entries.map((entry: { type: string }) => entry.type)), new Set(['event', 'call', 'sync']))
  t.equal((await call(t, app, 'get', '/admin/v1/cards/{cardId}/timeline', { params: { cardId }, query: '?limit=2' })).body.entries.length, 2)
  t.equal((await call(t, app, 'get', '/admin/v1/cards/{cardId}/timeline', { params: { cardId: 'no-such-card' } })).status, 404)
  t.equal((await call(t, app, 'get', '/admin/v1/cards/{cardId}/timeline', { params: { cardId }, token: null })).status, 401)

  t.match((await call(t, app, 'get', '/admin/v1/attention')).body, { count: 1, entries: [{ cardId: stuck.card.id, code: '-42' }] })
  t.equal((await call(t, app, 'get', '/admin/v1/attention', { token: null })).status, 401)

  const replay = '/admin/v1/attention/{downstream}/{cardId}/replay'
  t.equal((await call(t, app, 'post', replay, { params: { downstream: 'izly', cardId } })).status, 409, 'nothing waiting')
  t.equal((await call(t, app, 'post', replay, { params: { downstream: 'nowhere', cardId } })).status, 404, 'unknown downstream')
  t.equal((await call(t, app, 'post', replay, { params: { downstream: 'izly', cardId: 'no-such-card' } })).status, 404, 'unknown card')
  t.equal((await call(t, app, 'post', replay, { params: { downstream: 'izly', cardId: stuck.card.id }, token: null })).status, 401)
  t.equal((await call(t, app, 'post', replay, { params: { downstream: 'izly', cardId: stuck.card.id } })).status, 202)
  // The fault is still scripted, so the replay meets it again: fault, attention and replay lines in the timeline.
  await waitFor('the entry again', async () => (await gateway.admin('GET', '/admin/v1/attention')).body.count === 1)
  const stuckTimeline = await call(t, app, 'get', '/admin/v1/cards/{cardId}/timeline', { params: { cardId: stuck.card.id } })
  t.ok(['fault', 'attention', 'replay'].every((type) => stuckTimeline.body.entries.some((entry: { type: string }) => entry.type === type)))

  t.match((await call(t, app, 'get', '/admin/v1/attention', { query: '?downstream=izly&code=-42' })).body, { count: 1 })
  t.match((await call(t, app, 'get', '/admin/v1/attention', { query: '?downstream=izly&code=HTTP_401' })).body, { count: 0 })
  t.equal((await call(t, app, 'get', '/admin/v1/attention', { query: '?downstream=nowhere' })).status, 404)
  const bulk = '/admin/v1/attention/{downstream}/replay'
  t.equal((await call(t, app, 'post', bulk, { params: { downstream: 'izly' } })).status, 400, 'a code is required')
  t.equal((await call(t, app, 'post', bulk, { params: { downstream: 'nowhere' }, query: '?code=-42' })).status, 404)
  t.equal((await call(t, app, 'post', bulk, { params: { downstream: 'izly' }, query: '?code=-42', token: null })).status, 401)
  t.match((await call(t, app, 'post', bulk, { params: { downstream: 'izly' }, query: '?code=HTTP_401' })).body, { downstream: 'izly', code: 'HTTP_401', replayed: 0 })
  t.match((await call(t, app, 'post', bulk, { params: { downstream: 'izly' }, query: '?code=-42' })).body, { downstream: 'izly', code: '-42', replayed: 1 })
  await waitFor('the entry back after the bulk replay', async () => (await gateway.admin('GET', '/admin/v1/attention')).body.count === 1)

  // The work queue (test/app/admin-work-queue.test.ts covers each at length).
  const csn = enabled.card.csn as string
  t.match((await call(t, app, 'get', '/admin/v1/cards', { query: `?csn=${csn}` })).body, { count: 1, cards: [{ cardId, downstreams: { izly: { summary: /^opposed at Izly since .*, reason lost$/ } } }] })
  t.match((await call(t, app, 'get', '/admin/v1/cards', { query: `?eppn=${encodeURIComponent(stuck.holder.eppn)}` })).body, { count: 1, cards: [{ downstreams: { izly: { summary: /^needs attention: -42 / } } }] })
  t.equal((await call(t, app, 'get', '/admin/v1/cards', { query: '?csn=nothex' })).status, 400)
  t.equal((await call(t, app, 'get', '/admin/v1/cards', { query: `?csn=${csn}`, token: null })).status, 401)
  t.match((await call(t, app, 'get', '/admin/v1/attention', { query: '?limit=1&minAgeSeconds=0' })).body, { count: 1, nextCursor: null })
  t.equal((await call(t, app, 'get', '/admin/v1/attention', { query: '?maxAgeSeconds=soon' })).status, 400)
  const filtered = '/admin/v1/attention/replay'
  t.equal((await call(t, app, 'post', filtered)).status, 400, 'a filter is required')
  t.equal((await call(t, app, 'post', filtered, { query: '?downstream=nowhere' })).status, 404)
  t.equal((await call(t, app, 'post', filtered, { query: '?code=-42', token: null })).status, 401)
  t.match((await call(t, app, 'post', filtered, { query: '?downstream=izly&code=-42&minAgeSeconds=0' })).body, { matched: 1, replayed: 1 })
  await waitFor('the entry back after the filter replay', async () => (await gateway.admin('GET', '/admin/v1/attention')).body.count === 1)
  const dismiss = '/admin/v1/attention/{downstream}/{cardId}/dismiss'
  t.equal((await call(t, app, 'post', dismiss, { params: { downstream: 'izly', cardId: stuck.card.id } })).status, 400, 'a reason is required')
  t.equal((await call(t, app, 'post', dismiss, { params: { downstream: 'izly', cardId: stuck.card.id }, json: { reason: 'r' }, token: null })).status, 401)
  t.equal((await call(t, app, 'post', dismiss, { params: { downstream: 'nowhere', cardId: stuck.card.id }, json: { reason: 'r' } })).status, 404)
  t.equal((await call(t, app, 'post', dismiss, { params: { downstream: 'izly', cardId: stuck.card.id }, json: { reason: 'unknown at this CROUS' } })).status, 200)
  t.equal((await call(t, app, 'post', dismiss, { params: { downstream: 'izly', cardId: stuck.card.id }, json: { reason: 'again' } })).status, 409)
  const dismissedTimeline = await call(t, app, 'get', '/admin/v1/cards/{cardId}/timeline', { params: { cardId: stuck.card.id } })
  t.match(dismissedTimeline.body.entries.at(-1), { type: 'dismiss', operator: 'admin-1', reason: 'unknown at this CROUS' })
  const resync = '/admin/v1/cards/{cardId}/resync'
  t.equal((await call(t, app, 'post', resync, { params: { cardId: 'no-such-card' } })).status, 404)
  t.equal((await call(t, app, 'post', resync, { params: { cardId }, token: null })).status, 401)
  t.match((await call(t, app, 'post', resync, { params: { cardId }, query: '?downstream=izly' })).body, { cardId, downstreams: ['izly'], status: 'resynced' })
  await waitFor('the re-sync confirmed', async () => (await gateway.admin('GET', `/admin/v1/cards/${cardId}`)).body.downstreams.izly.inLine === true)
  t.match((await call(t, app, 'get', '/admin/v1/cards/{cardId}/timeline', { params: { cardId } })).body.entries.filter((entry: { type: string }) => entry.type === 'resync'), [{ operator: 'admin-1' }])
  t.match((await call(t, app, 'get', '/admin/v1/overview')).body, { downstreams: { izly: { needsAttention: 0 } } })
  t.equal((await call(t, app, 'get', '/admin/v1/overview', { token: null })).status, 401)

  t.ok(Object.keys((await call(t, app, 'get', '/admin/v1/queues')).body.queues).length > 0)
  t.equal((await call(t, app, 'get', '/admin/v1/queues', { token: null })).status, 401)
  // The queue dashboard (test/app/queue-dashboard.test.ts covers HTTP Basic and its JSON API).
  t.match((await call(t, app, 'get', '/admin/queues')).body, /<html/)
  t.equal((await call(t, app, 'get', '/admin/queues', { token: null })).status, 401)
  t.match((await call(t, app, 'get', '/admin/console', { token: null })).body, /<title>Léocarte console<\/title>/, 'the console page (test/app/console-browser.test.ts drives it)')

  await call(t, app, 'get', '/health/live', { token: null })
  await call(t, app, 'get', '/health/ready', { token: null })
  t.match((await call(t, app, 'get', '/metrics', { token: null })).body, /leocarte_sync_outcomes_total\{downstream="izly"/)

  const documentAnswer = await call(t, app, 'get', '/openapi.json', { token: null })
  t.same(documentAnswer.body, document, '/openapi.json is gateway.yaml')

  // The SGC intake is covered by test/intake, the CROUS validity interfaces by test/validity/validity-contract.test.ts.
  const undocumented = documentedOperations()
    .filter((operation) => !operation.includes(' /sgc/') && !operation.includes(' /crous/') && !called.has(operation))
  t.same(undocumented, [], 'every documented operation outside the SGC intake was called')
})

t.test('/health/ready answers the documented 503 when Redis is unreachable', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url })
  const deadRedis = createRedis('redis://127.0.0.1:1', 'intake')
  deadRedis.on('error', () => {})
  t.teardown(() => deadRedis.disconnect())
  const { config, registry, queues, metrics } = gateway
  const app = await buildApp({ config, logger: createLogger('silent'), redis: deadRedis, registry, downstreams: ['izly'], intake: undefined, queues, metrics })
  t.teardown(async () => await app.close())
  t.equal((await call(t, app, 'get', '/health/ready', { token: null })).status, 503)
})

t.test('/docs serves the OpenAPI UI without taking over the app', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url })
  const { app } = gateway

  let docs = await app.inject({ method: 'GET', url: '/docs' })
  if (docs.statusCode >= 300 && docs.statusCode < 400) docs = await app.inject({ method: 'GET', url: String(docs.headers.location) })
  t.equal(docs.statusCode, 200)
  t.match(docs.headers['content-type'], /^text\/html/)
  t.match(docs.body, /swagger-ui/)
  t.equal((await app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' })).statusCode, 200, 'the UI assets are served')
  t.same((await app.inject({ method: 'GET', url: '/docs/json' })).json(), document, 'the UI shows gateway.yaml')

  for (const url of ['/docs/static/no-such-file.js', '/no-such-route']) {
    const missing = await app.inject({ method: 'GET', url })
    t.equal(missing.statusCode, 404, url)
    t.match(missing.headers['content-type'], /^application\/problem\+json/, `${url}: the app's not-found handler answers`)
  }
  // The SGC intake keeps its own raw-body parser: a signed event is still accepted.
  t.equal((await gateway.post(cardEvent({ state: 'ENABLED' }))).status, 202)
})
