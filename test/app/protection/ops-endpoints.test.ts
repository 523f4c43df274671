// Where /metrics and /docs are served and behind what (METRICS_PORT, METRICS_TOKEN, DOCS_ENABLED,
// DOCS_TOKEN), and the headers of the HTML pages (@fastify/helmet, one of each).
import t from 'tap'
import { HTML_CONTENT_SECURITY_POLICY } from '../../../src/app/security-headers.ts'
import { ConfigError, loadConfig } from '../../../src/config/load.ts'
import { TEST_ADMIN_TOKEN, startTestGateway } from '../../helpers/gateway.ts'

const UNUSED_IZLY = 'http://127.0.0.1:9/izly'
const METRICS_TOKEN = 'metrics-token-0123456789'
const DOCS_TOKEN = 'docs-token-0123456789'

t.test('METRICS_TOKEN: a scrape needs the bearer token', async (t) => {
  const gateway = await startTestGateway(t, { izlyEndpoint: UNUSED_IZLY, role: 'api', extra: { METRICS_TOKEN } })
  const none = await gateway.app.inject('/metrics')
  t.equal(none.statusCode, 401)
  t.match(none.json(), { type: /\/metrics-unauthorized$/ })
  t.equal((await gateway.app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode, 401)
  const scrape = await gateway.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  t.equal(scrape.statusCode, 200)
  t.match(scrape.body, /leocarte_http_request_duration_seconds/)
  t.equal((await gateway.app.inject('/health/live')).statusCode, 200, 'health needs no token')
})

t.test('METRICS_PORT: /metrics on its own listener, and no longer on PORT', async (t) => {
  const gateway = await startTestGateway(t, { izlyEndpoint: UNUSED_IZLY, role: 'api', listen: true, extra: { METRICS_PORT: '0', METRICS_TOKEN } })
  t.ok(gateway.metricsUrl !== undefined && gateway.metricsUrl !== gateway.url, `metrics at ${gateway.metricsUrl}`)
  t.equal((await fetch(`${gateway.url}/metrics`)).status, 404, 'the API port serves no metrics')
  t.equal((await fetch(`${gateway.metricsUrl}/metrics`)).status, 401, 'the token still applies')
  const scrape = await fetch(`${gateway.metricsUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  t.equal(scrape.status, 200)
  t.match(await scrape.text(), /leocarte_queue_jobs/, 'the same collectors (queues read from Redis)')
  t.equal((await fetch(`${gateway.metricsUrl}/health/live`)).status, 404, 'health stays on PORT')
  t.equal((await fetch(`${gateway.url}/health/live`)).status, 200)
})

t.test('a worker-only process: METRICS_PORT moves its metrics too', async (t) => {
  const gateway = await startTestGateway(t, { izlyEndpoint: UNUSED_IZLY, role: 'worker', listen: true, extra: { METRICS_PORT: '0' } })
  t.equal((await fetch(`${gateway.url}/metrics`)).status, 404)
  t.equal((await fetch(`${gateway.metricsUrl}/metrics`)).status, 200)
  t.equal((await fetch(`${gateway.url}/health/ready`)).status, 200)
})

t.test('METRICS_PORT must differ from PORT', async (t) => {
  t.throws(() => loadConfig({ SIMULATORS: 'on', PORT: '3000', METRICS_PORT: '3000' }), new ConfigError('METRICS_PORT', 'must differ from PORT (3000); leave it unset to serve /metrics on PORT'))
  t.throws(() => loadConfig({ SIMULATORS: 'on', METRICS_TOKEN: 'short' }), { name: 'ConfigError', message: /^METRICS_TOKEN:/ })
  t.throws(() => loadConfig({ SIMULATORS: 'on', TRUST_PROXY: 'on' }), { name: 'ConfigError', message: /^TRUST_PROXY:/ })
  t.same(loadConfig({ SIMULATORS: 'on', TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).protection.ops.trustProxy, ['10.0.0.0/8', '127.0.0.1'])
})

t.test('DOCS_ENABLED=off: neither /docs nor /openapi.json', async (t) => {
  const gateway = await startTestGateway(t, { izlyEndpoint: UNUSED_IZLY, role: 'api', extra: { DOCS_ENABLED: 'off' } })
  t.equal((await gateway.app.inject('/docs')).statusCode, 404)
  t.equal((await gateway.app.inject('/openapi.json')).statusCode, 404)
})

t.test('DOCS_TOKEN: the UI and the document need the token, as a browser gives it (Basic) or a client (Bearer)', async (t) => {
  const gateway = await startTestGateway(t, { izlyEndpoint: UNUSED_IZLY, role: 'api', extra: { DOCS_TOKEN } })
  const none = await gateway.app.inject('/docs/')
  t.equal(none.statusCode, 401)
  t.equal(none.headers['www-authenticate'], 'Basic realm="leocarte-docs"', 'a browser asks for it')
  t.equal((await gateway.app.inject('/openapi.json')).statusCode, 401)
  const basic = `Basic ${Buffer.from(`anyone:${DOCS_TOKEN}`).toString('base64')}`
  t.equal((await gateway.app.inject({ url: '/docs/', headers: { authorization: basic } })).statusCode, 200)
  t.equal((await gateway.app.inject({ url: '/openapi.json', headers: { authorization: `Bearer ${DOCS_TOKEN}` } })).statusCode, 200)
})

t.test('HTML pages: helmet\'s headers with the gateway\'s CSP, each header once; JSON answers get none of them', async (t) => {
  const gateway = await startTestGateway(t, { izlyEndpoint: UNUSED_IZLY, role: 'api' })
  const pages = {
    docs: await gateway.app.inject('/docs/'),
    dashboard: await gateway.app.inject({ url: '/admin/queues', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } }),
  }
  for (const [name, page] of Object.entries(pages)) {
    t.equal(page.statusCode, 200, name)
    t.match(page.headers['content-type'], /^text\/html/, name)
    const csp = page.headers['content-security-policy']
    t.type(csp, 'string', `${name}: one CSP (two would arrive as a list)`)
    for (const directive of HTML_CONTENT_SECURITY_POLICY.split('; ')) t.ok(String(csp).includes(directive), `${name}: ${directive}`)
    t.equal(page.headers['x-frame-options'], 'DENY', name)
    t.equal(page.headers['referrer-policy'], 'no-referrer', name)
    t.equal(page.headers['x-content-type-options'], 'nosniff', name)
    t.match(page.headers['strict-transport-security'], /max-age=\d+/, `${name}: HSTS (from helmet)`)
    t.equal(page.headers['cross-origin-opener-policy'], 'same-origin', name)
  }
  const json = await gateway.app.inject('/health/live')
  t.equal(json.headers['content-security-policy'], undefined)
  t.equal(json.headers['strict-transport-security'], undefined)
  t.equal(json.headers['x-content-type-options'], 'nosniff')
})
