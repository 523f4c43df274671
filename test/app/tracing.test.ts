// Tracing (OpenTelemetry): one SGC event is one trace, from the HTTP request through its job to the Izly
// call, correlated by the SGC eventId and free of personal data; and with tracing off (the default) no
// OpenTelemetry module is even loaded.
import { execFile } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import { SpanKind } from '@opentelemetry/api'
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import t from 'tap'
import { startOtelTracing } from '../../src/observability/otel-tracing.ts'
import { cardEvent, csnOf } from '../fixtures/card-events.ts'
import { startTestGateway, testEnv } from '../helpers/gateway.ts'
import { seedCard, testIzly } from '../helpers/izly.ts'
import { cleanPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.ts'
import { driveToRest } from '../helpers/rest.ts'

/** A gateway started and closed in a child process, which says on stderr which OpenTelemetry modules it loaded. */
const PROBE = `
    import { registerHooks } from 'node:module'
    const loaded = new Set()
    registerHooks({ resolve (specifier, context, next) {
      const resolved = next(specifier, context)
      const match = /node_modules\\/((@opentelemetry\\/[^/]+)|bullmq-otel)\\//.exec(resolved.url)
      if (match !== null) loaded.add(match[1])
      return resolved
    } })
    const { loadConfig } = await import(${JSON.stringify(new URL('../../src/config/load.ts', import.meta.url).href)})
    const { startGateway } = await import(${JSON.stringify(new URL('../../src/app/gateway.ts', import.meta.url).href)})
    const { createLogger } = await import(${JSON.stringify(new URL('../../src/observability/logger.ts', import.meta.url).href)})
    const gateway = await startGateway({ config: loadConfig(), logger: createLogger('silent'), listen: false })
    await gateway.app.inject({ method: 'GET', url: '/health/live' })
    await gateway.app.inject({ method: 'GET', url: '/admin/v1/queues' })
    await gateway.close()
    process.stderr.write('LOADED ' + JSON.stringify([...loaded].sort()) + '\\n')
`

t.test('one SGC event through intake, its job and the Izly call is one connected trace carrying the eventId, without personal data', async (t) => {
  const exporter = new InMemorySpanExporter()
  const tracing = await startOtelTracing({ exporter: 'console', serviceName: 'leocarte-test' }, { exporter })
  t.teardown(async () => await tracing.shutdown())
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, tracing })

  const enabled = cardEvent({ state: 'ENABLED' })
  seedCard(izly, enabled)
  const event = cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'LOST' })
  t.equal((await gateway.post(event)).status, 202)
  await driveToRest(gateway)
  t.ok(izly.listCalls().some((call) => call.operation === 'SetOpposition' || /oppos/i.test(call.operation)), 'Izly was called')

  const spans = exporter.getFinishedSpans()
  const one = (what: string, test: (span: ReadableSpan) => boolean): ReadableSpan => {
    const found = spans.filter(test)
    t.equal(found.length, 1, `one ${what} span`)
    return found[0] as ReadableSpan
  }
  const eventId = (span: ReadableSpan): unknown => span.attributes['leocarte.event_id']
  const server = one('server', (span) => span.kind === SpanKind.SERVER && span.name === 'POST /sgc/v1/card-events')
  const intake = one('intake', (span) => span.name === 'intake card-event' && eventId(span) === event.eventId)
  const add = one('BullMQ add', (span) => span.kind === SpanKind.PRODUCER && span.name === 'add izly-oppose.sync' && span.parentSpanContext?.spanId === intake.spanContext().spanId)
  const run = one('BullMQ process', (span) => span.kind === SpanKind.CONSUMER && span.name === 'process izly-oppose' && span.spanContext().traceId === add.spanContext().traceId)
  const sync = one('sync', (span) => span.name === 'sync izly oppose' && eventId(span) === event.eventId)
  const calls = spans.filter((span) => span.kind === SpanKind.CLIENT && span.parentSpanContext?.spanId === sync.spanContext().spanId)
  t.ok(calls.length >= 1, `${calls.map((span) => span.name).join(', ')} under the sync`)
  const oppose = calls.find((span) => span.name === 'izly opposeSmartCard')
  t.ok(oppose !== undefined, 'the opposition call has its span')

  const chain: Array<[string, ReadableSpan, ReadableSpan]> = [['intake', intake, server], ['add', add, intake], ['process', run, add], ['sync', sync, run], ['call', oppose as ReadableSpan, sync]]
  for (const [name, child, parent] of chain) {
    t.equal(child.spanContext().traceId, server.spanContext().traceId, `${name}: the same trace`)
    t.equal(child.parentSpanContext?.spanId, parent.spanContext().spanId, `${name}: a child of ${parent.name}`)
  }
  t.equal(eventId(oppose as ReadableSpan), event.eventId, 'the call carries the eventId (its X-Correlation-Id)')
  t.match(oppose?.attributes, { 'leocarte.downstream': 'izly', 'leocarte.outcome': 'opposed' })
  t.match(server.attributes, { 'http.route': '/sgc/v1/card-events', 'http.response.status_code': 202 })
  t.match(sync.attributes, { 'leocarte.lane': 'oppose', 'leocarte.card_id': event.card.id })
  t.notOk(spans.some((span) => span.name.startsWith('GET /health') || span.name.startsWith('GET /metrics')), 'health checks and scrapes are not traced')
  t.notOk(spans.some((span) => span.parentSpanContext === undefined && span.kind !== SpanKind.SERVER && span.kind !== SpanKind.PRODUCER), 'no trace starts at BullMQ housekeeping')

  // Every string a span holds: its name, attributes, events and status.
  const texts = spans.flatMap((span) => [span.name, span.status.message ?? '', ...Object.values(span.attributes).map(String),
    ...span.events.flatMap((spanEvent) => [spanEvent.name, ...Object.values(spanEvent.attributes ?? {}).map(String)])]).join('\n')
  const holder = event.holder as unknown as Record<string, string>
  for (const [what, value] of Object.entries({ eppn: holder.eppn, firstName: holder.firstName, lastName: holder.lastName, email: holder.email, birthDate: holder.birthDate, ine: holder.ine, csn: csnOf(event.card.id), idZdc: event.card.crous?.idZdc })) {
    t.notOk(texts.includes(String(value)), `no ${what} in any span`)
  }
  t.ok(texts.includes(event.eventId), 'while the eventId is there (the check sees what spans hold)')
})

t.test('off by default: a gateway without OTEL_TRACES_EXPORTER loads no OpenTelemetry module; with it, it does', async (t) => {
  // A separate process (PROBE), so that what this file imports does not count; a module hook records every import.
  const loaded = async (extra: Record<string, string>): Promise<string[]> => {
    const prefix = uniquePrefix()
    t.teardown(async () => await cleanPrefix(REDIS_URL, prefix))
    const env = { PATH: process.env.PATH ?? '', ...testEnv({ izlyEndpoint: 'http://127.0.0.1:9/izly', prefix, extra }) }
    const { stderr } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', PROBE], { env })
    const line = stderr.split('\n').find((text) => text.startsWith('LOADED '))
    return JSON.parse(line?.slice('LOADED '.length) ?? 'null') as string[]
  }
  // prom-client itself requires the API (its CPU counter looks for an active span, for exemplars): without an
  // SDK registered that is a no-op. No SDK, exporter or bullmq-otel module is loaded.
  t.same(await loaded({}), ['@opentelemetry/api'], 'tracing off: the API prom-client requires, nothing else')
  const on = await loaded({ OTEL_TRACES_EXPORTER: 'console' })
  t.ok(on.includes('@opentelemetry/sdk-trace-node') && on.includes('bullmq-otel'), `tracing on: ${on.join(', ')}`)
})

t.test('OTEL_TRACES_EXPORTER=otlp sends the spans to OTEL_EXPORTER_OTLP_ENDPOINT, the last ones at shutdown', async (t) => {
  const received: Array<{ url: string, body: string }> = []
  const collector = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      received.push({ url: request.url ?? '', body: Buffer.concat(chunks).toString('utf8') })
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve))
  t.teardown(() => collector.close())
  const { port } = collector.address() as AddressInfo
  const prefix = uniquePrefix()
  t.teardown(async () => await cleanPrefix(REDIS_URL, prefix))
  const env = { PATH: process.env.PATH ?? '', ...testEnv({ izlyEndpoint: 'http://127.0.0.1:9/izly', prefix, extra: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_SERVICE_NAME: 'leocarte-otlp-test' } }) }
  await promisify(execFile)(process.execPath, ['--input-type=module', '-e', PROBE], { env })
  const traces = received.filter((request) => request.url === '/v1/traces')
  t.ok(traces.length >= 1, 'the collector received traces')
  const body = traces.map((request) => request.body).join('\n')
  t.match(body, /GET \/admin\/v1\/queues/, 'the request\'s server span')
  t.match(body, /leocarte-otlp-test/, 'under OTEL_SERVICE_NAME')
})
