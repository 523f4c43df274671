// The operators' side of the gateway answers what openapi/gateway.yaml says: every admin, health and
// metrics response of a real gateway is validated against the schema the document declares for it.
import { readFileSync } from 'node:fs'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { parse as parseYaml } from 'yaml'
import { buildApp } from '../../src/app/build-app.ts'
import { GATEWAY_OPENAPI_URL } from '../../src/intake/card-event-schema.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { createRedis } from '../../src/registry/redis.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway, TEST_ADMIN_TOKEN, type TestGateway } from '../helpers/gateway.ts'
import { izlyCard, seedCard, testIzly } from '../helpers/izly.ts'
import { waitFor } from '../helpers/wait.ts'

type JsonObject = Record<string, any>

const document = parseYaml(readFileSync(GATEWAY_OPENAPI_URL, 'utf8')) as JsonObject
const SCHEMAS_ID = 'https://leocarte.example/test/gateway-schemas'

const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true })
addFormatsModule.default(ajv)
ajv.addVocabulary(['example', 'xml', 'externalDocs'])
ajv.addSchema({ $id: SCHEMAS_ID, $defs: absoluteRefs(document.components.schemas) })

/** Component refs of the document, pointed at the `$defs` copy so that a response schema compiles on its own. */
function absoluteRefs<T> (value: T): T {
  if (Array.isArray(value)) return value.map(absoluteRefs) as T
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [key,
    key === '$ref' && typeof child === 'string' ? child.replace('#/components/schemas/', `${SCHEMAS_ID}#/$defs/`) : absoluteRefs(child)])) as T
}

function resolve (node: JsonObject | undefined): JsonObject | undefined {
  if (typeof node?.$ref !== 'string') return node
  return resolve((node.$ref as string).slice(2).split('/').reduce<JsonObject | undefined>((at, key) => at?.[key], document))
}

const validators = new Map<string, ValidateFunction>()

/** The response declared at `paths[path][method].responses[status]`, its schema for `mediaType` compiled. */
function declared (path: string, method: string, status: number, mediaType: string): { validate: ValidateFunction, headers: string[] } {
  const response = resolve(document.paths[path]?.[method]?.responses?.[String(status)])
  const schema = response?.content?.[mediaType]?.schema
  if (schema === undefined) throw new Error(`gateway.yaml declares no ${mediaType} body for ${method.toUpperCase()} ${path} ${status}`)
  const key = `${method} ${path} ${status} ${mediaType}`
  const validate = validators.get(key) ?? ajv.compile(absoluteRefs(schema))
  validators.set(key, validate)
  return { validate, headers: Object.keys(response?.headers ?? {}) }
}

const called = new Set<string>()

/** Calls `method path` (path parameters filled from `params`) and checks the answer against the document. */
async function call (t: Test, app: TestGateway['app'], method: 'get' | 'post', path: string, options: { params?: Record<string, string>, query?: string, token?: string | null } = {}): Promise<{ status: number, body: any }> {
  const url = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(options.params?.[name] ?? '')) + (options.query ?? '')
  const token = options.token === undefined ? TEST_ADMIN_TOKEN : options.token
  const response: LightMyRequestResponse = await app.inject({ method: method.toUpperCase() as 'GET' | 'POST', url, headers: token === null ? {} : { authorization: `Bearer ${token}` } })
  const mediaType = String(response.headers['content-type']).split(';')[0]?.trim() ?? ''
  const body = mediaType.endsWith('json') ? response.json() : response.body
  const { validate, headers } = declared(path, method, response.statusCode, mediaType)
  t.ok(validate(body), `${method.toUpperCase()} ${url} → ${response.statusCode} ${mediaType} matches gateway.yaml`, { errors: validate.errors, body })
  for (const header of headers) t.ok(response.headers[header.toLowerCase()] !== undefined, `${method.toUpperCase()} ${url} → ${response.statusCode} has ${header}`)
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
  t.equal((await call(t, app, 'post', replay, { params: { downstream: 'esc', cardId } })).status, 404, 'unknown downstream')
  t.equal((await call(t, app, 'post', replay, { params: { downstream: 'izly', cardId: 'no-such-card' } })).status, 404, 'unknown card')
  t.equal((await call(t, app, 'post', replay, { params: { downstream: 'izly', cardId: stuck.card.id }, token: null })).status, 401)
  t.equal((await call(t, app, 'post', replay, { params: { downstream: 'izly', cardId: stuck.card.id } })).status, 202)
  // The fault is still scripted, so the replay meets it again: fault, attention and replay lines in the timeline.
  await waitFor('the entry again', async () => (await gateway.admin('GET', '/admin/v1/attention')).body.count === 1)
  const stuckTimeline = await call(t, app, 'get', '/admin/v1/cards/{cardId}/timeline', { params: { cardId: stuck.card.id } })
  t.ok(['fault', 'attention', 'replay'].every((type) => stuckTimeline.body.entries.some((entry: { type: string }) => entry.type === type)))

  t.ok(Object.keys((await call(t, app, 'get', '/admin/v1/queues')).body.queues).length > 0)
  t.equal((await call(t, app, 'get', '/admin/v1/queues', { token: null })).status, 401)

  await call(t, app, 'get', '/health/live', { token: null })
  await call(t, app, 'get', '/health/ready', { token: null })
  t.match((await call(t, app, 'get', '/metrics', { token: null })).body, /leocarte_sync_outcomes_total\{downstream="izly"/)

  const documentAnswer = await call(t, app, 'get', '/openapi.json', { token: null })
  t.same(documentAnswer.body, document, '/openapi.json is gateway.yaml')

  const undocumented = Object.entries(document.paths as JsonObject)
    .flatMap(([path, item]) => Object.keys(item as JsonObject).map((method) => `${method} ${path}`))
    .filter((operation) => !operation.includes(' /sgc/') && !called.has(operation))
  t.same(undocumented, [], 'every documented operation outside the SGC intake was called')
})

t.test('/health/ready answers the documented 503 when Redis is unreachable', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url })
  const deadRedis = createRedis('redis://127.0.0.1:1', 'intake')
  deadRedis.on('error', () => {})
  t.teardown(() => deadRedis.disconnect())
  const { config, registry, queues, metrics } = gateway
  const app = await buildApp({ config, logger: createLogger('silent'), redis: deadRedis, registry, intake: undefined, queues, metrics })
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
