// An unauthenticated request cannot make the gateway read, hash or parse a large body: unknown paths,
// GET-only routes, admin routes and an unsigned intake answer before the body has even arrived, and the
// large limit belongs to the batch route alone. Real sockets, on the real gateway.
import t from 'tap'
import { signBody } from '../../src/intake/signature.ts'
import { startTestGateway, TEST_SECRET } from '../helpers/gateway.ts'
import { RawExchange, requestHead } from '../helpers/raw-http.ts'

const EIGHT_MB = 8 * 1024 * 1024
/** The start of a deeply nested JSON body: parsing 8 MB of it blocks an event loop for about a second. */
const NESTED_START = Buffer.from('['.repeat(64 * 1024))

t.test('a large body nobody may send is answered before it arrives, and the connection is closed', async (t) => {
  t.setTimeout(60_000)
  const gateway = await startTestGateway(t, { izlyEndpoint: 'http://127.0.0.1:9/izly', role: 'api', listen: true })
  const origin = gateway.url as string
  const cases: Array<[string, string, string, Record<string, string>, number]> = [
    ['an unknown path', 'POST', '/nowhere', {}, 404],
    ['a GET-only route', 'POST', '/health/live', {}, 404],
    ['a PUT to the metrics', 'PUT', '/metrics', {}, 404],
    ['an admin route without a token', 'POST', '/admin/v1/attention/izly/c-1/replay', {}, 401],
    ['the dashboard without a token', 'PUT', '/admin/queues/api/queues/izly-oppose/concurrency', {}, 401],
    ['the batch route without a signature', 'POST', '/sgc/v1/card-events/batch', {}, 401],
    ['the batch route with a garbled signature', 'POST', '/sgc/v1/card-events/batch', { 'X-Signature': 't=1,v1=zz' }, 401],
    ['the single route, over its 64 KiB limit', 'POST', '/sgc/v1/card-events', { 'X-Signature': signBody(TEST_SECRET, 'x') }, 413],
  ]
  for (const [name, method, path, headers, status] of cases) {
    const exchange = new RawExchange(origin)
    t.teardown(() => exchange.destroy())
    await exchange.write(requestHead(method, path, origin, { 'Content-Type': 'application/json', 'Content-Length': EIGHT_MB, ...headers }))
    await exchange.write(NESTED_START)
    // Only 64 KiB of the promised 8 MiB were sent, and no more will be: an answer now means the body was not awaited.
    const answer = await exchange.answered
    t.equal(answer.status, status, `${name}: ${status} before the body arrived`)
    t.match(answer.headers['content-type'], /^application\/problem\+json/, `${name}: problem+json`)
    t.equal(answer.headers.connection, 'close', `${name}: the unread body is not drained, the connection is closed`)
    await exchange.closed
  }
})

t.test('an unsigned batch is hashed as it arrives but never parsed; a signed one is', async (t) => {
  const gateway = await startTestGateway(t, { izlyEndpoint: 'http://127.0.0.1:9/izly', role: 'api' })
  const notJson = '['.repeat(2 * 1024 * 1024)
  const forged = await gateway.app.inject({
    method: 'POST', url: '/sgc/v1/card-events/batch', payload: notJson,
    headers: { 'content-type': 'application/json', 'x-signature': signBody('not-the-sgc-secret-at-all', notJson) },
  })
  t.equal(forged.statusCode, 401, 'a wrong signature over a body that is not even JSON: 401, so it was not parsed')
  const signed = await gateway.app.inject({
    method: 'POST', url: '/sgc/v1/card-events/batch', payload: notJson,
    headers: { 'content-type': 'application/json', 'x-signature': signBody(TEST_SECRET, notJson) },
  })
  t.equal(signed.statusCode, 400, 'the same body signed by the SGC is parsed, and refused as malformed JSON')
  t.match(signed.json(), { type: /malformed-json$/ })
})

t.test('the 8 MiB limit is the batch route\'s alone; everything else has the small default', async (t) => {
  const gateway = await startTestGateway(t, { izlyEndpoint: 'http://127.0.0.1:9/izly', role: 'api' })
  const body = JSON.stringify({ events: [{ padding: 'x'.repeat(200 * 1024) }] })
  const batch = await gateway.app.inject({ method: 'POST', url: '/sgc/v1/card-events/batch', payload: body, headers: { 'content-type': 'application/json', 'x-signature': signBody(TEST_SECRET, body) } })
  t.equal(batch.statusCode, 202, 'a 200 KiB batch is read')
  t.match(batch.json(), { results: [{ index: 0, status: 'invalid' }] }, 'and its one event refused')
  const single = await gateway.app.inject({ method: 'POST', url: '/sgc/v1/card-events', payload: body, headers: { 'content-type': 'application/json', 'x-signature': signBody(TEST_SECRET, body) } })
  t.equal(single.statusCode, 413, 'the same body to the single route is over its limit')
  const dashboard = await gateway.app.inject({ method: 'PUT', url: '/admin/queues/api/queues/izly-oppose/concurrency', payload: body, headers: { 'content-type': 'application/json', authorization: 'Bearer test-admin-token-0123456789' } })
  t.equal(dashboard.statusCode, 413, 'and so is it to a dashboard action')
})
