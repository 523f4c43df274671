import Fastify from 'fastify'
import t from 'tap'
import { DOWNSTREAMS } from '../../src/domain/downstream.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { createMetrics } from '../../src/observability/metrics.ts'
import { buildKeys } from '../../src/registry/keys.ts'
import { createRedis } from '../../src/registry/redis.ts'
import { Registry } from '../../src/registry/registry.ts'
import { createValidityApi } from '../../src/validity/validity-api.ts'
import { CARD_STATES, DISABLE_REASONS } from '../../src/domain/card-state.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { TEST_PSEUDONYM_KEY } from '../helpers/redis.ts'
import { escnOf, startRouterStatusStub } from '../helpers/router-status-stub.ts'
import { checkEnvelope, CROUS_API_KEY, startValidityGateway } from '../helpers/validity.ts'

const QR_HOSTS = ['https://s.esc-r.eu', 'http://esc.gg', 'http://pp.esc.gg', 'http://esc.bwcard.de', 'https://carte.univ-rouen.fr/esc']

t.test('every identifier form of a held card answers from the registry', async (t) => {
  const gateway = await startValidityGateway(t)
  const event = cardEvent({ state: 'ENABLED', occurredAt: '2026-11-28T09:00:00+01:00' })
  event.card.escn = escnOf(1001, '999900001')
  event.card.expiresAt = '2099-08-31'
  t.equal((await gateway.post(event)).status, 202)
  const { csn, escn } = event.card
  const idZdc = event.card.crous?.idZdc as string
  const expected = { valid: true, state: 'ENABLED', reason: 'ENABLED', since: '2026-11-28T09:00:00+01:00', expiresAt: '2099-08-31', source: 'registry' }
  for (const [id, idType, cardId] of [[csn, 'csn', csn], [csn?.toLowerCase(), 'csn', csn], [idZdc, 'idZdc', idZdc], [escn, 'escn', escn], [escn?.toUpperCase(), 'escn', escn]] as const) {
    const answer = await gateway.rest(`/crous/v1/cards/${id}/validity`)
    t.equal(answer.status, 200, `${idType} ${id}`)
    t.same(answer.body, { cardId, idType, ...expected }, `${idType} ${id}: the whole answer`)
    t.equal(answer.headers['cache-control'], 'no-store', 'never cached by a proxy')
  }
  t.match((await gateway.rest(`/crous/v1/cards/${idZdc}/validity?type=idZdc`)).body, { idType: 'idZdc', valid: true })
  t.match((await gateway.rest(`/crous/v1/cards/${csn}/validity?type=idZdc`)), { status: 400, body: { type: /invalid-card-id$/, detail: 'not a valid idZdc' } })
  t.match((await gateway.rest(`/crous/v1/cards/${csn}/validity?type=uid`)), { status: 400, body: { type: /invalid-id-type$/ } })
  for (const host of QR_HOSTS) {
    const answer = await gateway.rest(`/crous/v1/validity?qr=${encodeURIComponent(`${host}/${escn}`)}`)
    t.match(answer, { status: 200, body: { cardId: escn, idType: 'escn', valid: true, source: 'registry' } }, `QR from ${host}`)
  }
})

t.test('every state and every disable reason, expired and unknown cards', async (t) => {
  const gateway = await startValidityGateway(t)
  for (const state of CARD_STATES) {
    const event = cardEvent({ state })
    await gateway.post(event)
    const answer = await gateway.rest(`/crous/v1/cards/${event.card.csn}/validity`)
    t.match(answer, { status: 200, body: { valid: state === 'ENABLED', state, reason: state } }, state)
  }
  for (const reason of DISABLE_REASONS) {
    const event = cardEvent({ state: 'DISABLED', disableReason: reason })
    await gateway.post(event)
    t.match(await gateway.rest(`/crous/v1/cards/${event.card.crous?.idZdc}/validity`), { status: 200, body: { valid: false, state: 'DISABLED', reason } }, reason)
  }
  const expired = cardEvent({ state: 'ENABLED' })
  expired.card.expiresAt = '2020-06-30'
  await gateway.post(expired)
  t.match(await gateway.rest(`/crous/v1/cards/${expired.card.csn}/validity`), { status: 200, body: { valid: false, state: 'ENABLED', reason: 'EXPIRED', expiresAt: '2020-06-30' } })
  const pastDue = cardEvent({ state: 'ENABLED' })
  pastDue.holder.dueDate = '2021-08-31T00:00:00+02:00'
  await gateway.post(pastDue)
  t.match(await gateway.rest(`/crous/v1/cards/${pastDue.card.csn}/validity`), { status: 200, body: { valid: false, reason: 'EXPIRED', expiresAt: '2021-08-31' } }, 'the holder due date when the card has no expiry')

  t.match(await gateway.rest('/crous/v1/cards/0A0B0C0D/validity'), { status: 404, body: { type: /unknown-card$/, status: 404 } }, 'unknown CSN')
  t.match(await gateway.rest('/crous/v1/cards/123/validity'), { status: 404 }, 'unknown idZdc')
  t.match(await gateway.rest('/crous/v1/cards/not-a-card/validity'), { status: 400, body: { type: /invalid-card-id$/ } })
  t.match(await gateway.rest(`/crous/v1/validity?qr=${encodeURIComponent('https://s.esc-r.eu/nope')}`), { status: 400, body: { type: /invalid-qr$/ } })
  t.match(await gateway.rest('/crous/v1/validity'), { status: 400, body: { type: /invalid-qr$/ } })
  t.match(await gateway.rest('/crous/v1/validity?qr=a&qr=b'), { status: 400, body: { type: /invalid-qr$/ } }, 'a repeated qr is refused, not a 500')
})

t.test('an all-digit id that is the CSN of one card and the idZdc of another asks for ?type=', async (t) => {
  const gateway = await startValidityGateway(t)
  const byCsn = cardEvent({ state: 'ENABLED' })
  byCsn.card.csn = '12345678'
  const byIdZdc = cardEvent({ state: 'DISABLED', disableReason: 'LOST' })
  if (byIdZdc.card.crous !== undefined) byIdZdc.card.crous.idZdc = '12345678'
  await gateway.post(byCsn)
  await gateway.post(byIdZdc)
  t.match(await gateway.rest('/crous/v1/cards/12345678/validity'), { status: 400, body: { type: /ambiguous-card-id$/ } })
  t.match(await gateway.rest('/crous/v1/cards/12345678/validity?type=csn'), { status: 200, body: { idType: 'csn', valid: true } })
  t.match(await gateway.rest('/crous/v1/cards/12345678/validity?type=idZdc'), { status: 200, body: { idType: 'idZdc', valid: false, reason: 'LOST' } })
})

t.test('X-API-Key: missing or wrong is 401; no keys configured closes the interface', async (t) => {
  const gateway = await startValidityGateway(t)
  for (const key of [null, '', 'wrong', `${CROUS_API_KEY}x`]) {
    const answer = await gateway.rest('/crous/v1/cards/0A0B0C0D/validity', key)
    t.match(answer, { status: 401, body: { type: /validity-unauthorized$/ } }, JSON.stringify(key))
    t.match(answer.headers['www-authenticate'], /X-API-Key/)
  }
  t.match(await gateway.rest('/crous/v1/validity?qr=x', null), { status: 401 })

  const closed = await startValidityGateway(t, { extra: { CROUS_API_KEYS: '' } })
  t.match(await closed.rest('/crous/v1/cards/0A0B0C0D/validity', ''), { status: 401, body: { detail: /closed/ } })
})

t.test('foreign cards: the router up, down and slow', async (t) => {
  const router = await startRouterStatusStub(t)
  const gateway = await startValidityGateway(t, { routerUrl: router.baseUrl })
  const active = escnOf(2001, '123456789')
  const inactive = escnOf(2002, '123456789')
  const expired = escnOf(2003, '123456789')
  router.put({ cardNumber: active, status: 'ACTIVE', expiresAt: '2099-06-30', issuerIdentifier: '123456789', issuerName: 'Universität Beispiel' })
  router.put({ cardNumber: inactive, status: 'INACTIVE', expiresAt: '2099-06-30', issuerIdentifier: '123456789' })
  router.put({ cardNumber: expired, status: 'EXPIRED', expiresAt: '2024-06-30', issuerIdentifier: '123456789' })

  t.same((await gateway.rest(`/crous/v1/cards/${active}/validity`)).body,
    { cardId: active, idType: 'escn', valid: true, state: 'ACTIVE', reason: 'ACTIVE', expiresAt: '2099-06-30', source: 'esc-router', issuer: { identifier: '123456789', name: 'Universität Beispiel' } })
  t.match((await gateway.rest(`/crous/v1/cards/${inactive}/validity`)).body, { valid: false, state: 'INACTIVE', reason: 'INACTIVE', source: 'esc-router' })
  t.match((await gateway.rest(`/crous/v1/cards/${expired}/validity`)).body, { valid: false, reason: 'EXPIRED' })
  for (const host of QR_HOSTS) {
    t.match(await gateway.rest(`/crous/v1/validity?qr=${encodeURIComponent(`${host}/${active}`)}`), { status: 200, body: { valid: true, source: 'esc-router' } }, `QR from ${host}`)
  }
  t.match(await gateway.rest(`/crous/v1/cards/${escnOf(2004)}/validity`), { status: 404, body: { type: /unknown-card$/ } }, 'unknown to the router too')
  const asked = router.calls.length

  // Down: known answers still come from the cache; a card not cached is "router unavailable", never a guess.
  router.outage = 503
  t.match(await gateway.rest(`/crous/v1/cards/${active}/validity`), { status: 200, body: { valid: true } }, 'from the cache')
  t.equal(router.calls.length, asked, 'the cache answered')
  const down = await gateway.rest(`/crous/v1/cards/${escnOf(2005)}/validity`)
  t.match(down, { status: 503, body: { type: /router-unavailable$/, detail: /HTTP 503/ } })
  t.match(down.headers['retry-after'], /^\d+$/)

  router.outage = 'off'
  router.latencyMs = 1000
  const started = Date.now()
  const slow = await gateway.rest(`/crous/v1/cards/${escnOf(2006)}/validity`)
  t.match(slow, { status: 503, body: { detail: /did not answer within 300 ms/ } }, 'slow: answered at the timeout')
  t.ok(Date.now() - started < 900)
})

t.test('a foreign card while no router is configured says so', async (t) => {
  const gateway = await startValidityGateway(t)
  t.match(await gateway.rest(`/crous/v1/cards/${escnOf(3001)}/validity`), { status: 503, body: { type: /router-unavailable$/, detail: /no ESC Router is configured/ } })
})

t.test('Redis down: 503 with Retry-After (REST) or a Server fault (SOAP), never an unknown card', async (t) => {
  const gateway = await startValidityGateway(t)
  const deadRedis = createRedis('redis://127.0.0.1:1', 'intake')
  deadRedis.on('error', () => {})
  t.teardown(() => deadRedis.disconnect())
  const registry = new Registry({ redis: deadRedis, keys: buildKeys(gateway.prefix, TEST_PSEUDONYM_KEY), downstreams: DOWNSTREAMS })
  const validity = createValidityApi({ config: gateway.config, registry, redis: deadRedis, logger: createLogger('silent'), metrics: createMetrics() })
  const app = Fastify()
  await validity.register(app)
  t.teardown(async () => { await app.close(); await validity.close() })

  const rest = await app.inject({ method: 'GET', url: '/crous/v1/cards/0A0B0C0D/validity', headers: { 'x-api-key': CROUS_API_KEY } })
  t.equal(rest.statusCode, 503)
  t.match(rest.json(), { type: /registry-unavailable$/ })
  t.equal(rest.headers['retry-after'], '5')
  const soap = await app.inject({ method: 'POST', url: '/crous/v1/soap', payload: checkEnvelope('0A0B0C0D'), headers: { 'content-type': 'text/xml' } })
  t.equal(soap.statusCode, 500)
  t.match(soap.body, /<faultcode>soap:Server<\/faultcode><faultstring>the card registry is unavailable/)
})
