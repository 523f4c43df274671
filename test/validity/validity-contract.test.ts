// Every answer of the validity interfaces, errors included, is what openapi/gateway.yaml declares.
import t, { type Test } from 'tap'
import { cardEvent } from '../fixtures/card-events.ts'
import { checkAnswer, documentedOperations } from '../helpers/openapi-contract.ts'
import { escnOf, startRouterStatusStub } from '../helpers/router-status-stub.ts'
import { checkEnvelope, CROUS_API_KEY, startValidityGateway, type ValidityGateway } from '../helpers/validity.ts'

const called = new Set<string>()

async function call (t: Test, gateway: ValidityGateway, method: 'get' | 'post', path: string, url: string, options: { apiKey?: string | null, body?: string, contentType?: string } = {}): Promise<any> {
  const apiKey = options.apiKey === undefined ? CROUS_API_KEY : options.apiKey
  const response = await gateway.app.inject({
    method: method.toUpperCase() as 'GET' | 'POST',
    url,
    headers: { ...(apiKey === null ? {} : { 'x-api-key': apiKey }), ...(options.contentType === undefined ? {} : { 'content-type': options.contentType }) },
    ...(options.body === undefined ? {} : { payload: options.body }),
  })
  called.add(`${method} ${path}`)
  return { status: response.statusCode, body: checkAnswer(t, method, path, response, `${method.toUpperCase()} ${url.slice(0, 80)}`) }
}

t.test('the validity answers match the OpenAPI document', async (t) => {
  const router = await startRouterStatusStub(t)
  const gateway = await startValidityGateway(t, { routerUrl: router.baseUrl })
  const held = cardEvent({ state: 'DISABLED', disableReason: 'LOST' })
  held.card.escn = escnOf(8001, '999900001')
  held.card.expiresAt = '2099-08-31'
  await gateway.post(held)
  const foreign = escnOf(8002, '123456789')
  router.put({ cardNumber: foreign, status: 'ACTIVE', expiresAt: '2099-06-30', issuerIdentifier: 123456789, issuerName: 'Universität Beispiel' })

  const cards = '/crous/v1/cards/{cardId}/validity'
  const byId = (id: string, query = ''): string => `/crous/v1/cards/${encodeURIComponent(id)}/validity${query}`
  t.match(await call(t, gateway, 'get', cards, byId(held.card.csn as string)), { status: 200, body: { valid: false, reason: 'LOST' } })
  t.match(await call(t, gateway, 'get', cards, byId(held.card.crous?.idZdc as string, '?type=idZdc')), { status: 200 })
  t.match(await call(t, gateway, 'get', cards, byId(foreign)), { status: 200, body: { source: 'esc-router', issuer: { identifier: '123456789' } } })
  t.match(await call(t, gateway, 'get', cards, byId('not-a-card')), { status: 400 })
  t.match(await call(t, gateway, 'get', cards, byId('0A0B0C0D', '?type=uid')), { status: 400 })
  t.match(await call(t, gateway, 'get', cards, byId('0A0B0C0D')), { status: 404 })
  t.match(await call(t, gateway, 'get', cards, byId('0A0B0C0D'), { apiKey: null }), { status: 401 })

  const qr = '/crous/v1/validity'
  const byQr = (content: string): string => `/crous/v1/validity?qr=${encodeURIComponent(content)}`
  t.match(await call(t, gateway, 'get', qr, byQr(`http://esc.gg/${held.card.escn}`)), { status: 200, body: { source: 'registry' } })
  t.match(await call(t, gateway, 'get', qr, byQr('https://s.esc-r.eu/nope')), { status: 400 })
  t.match(await call(t, gateway, 'get', qr, byQr(`https://s.esc-r.eu/${escnOf(8003)}`)), { status: 404 })
  t.match(await call(t, gateway, 'get', qr, byQr(foreign), { apiKey: 'wrong' }), { status: 401 })

  const soap = '/crous/v1/soap'
  t.match(await call(t, gateway, 'get', soap, '/crous/v1/soap?wsdl'), { status: 200 })
  const post = async (body: string, contentType = 'text/xml; charset=utf-8'): Promise<any> => await call(t, gateway, 'post', soap, soap, { body, contentType, apiKey: null })
  t.match(await post(checkEnvelope(held.card.csn as string)), { status: 200 })
  t.match(await post(checkEnvelope(held.card.csn as string, { version: '1.2' }), 'application/soap+xml; charset=utf-8'), { status: 200 })
  t.match(await post(checkEnvelope('0A0B0C0D')), { status: 500 })
  t.match(await post(checkEnvelope('0A0B0C0D', { version: '1.2' }), 'application/soap+xml'), { status: 400 })
  t.match(await post('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'), { status: 400 })
  t.match(await post('x'.repeat(20_000)), { status: 413 })
  t.match(await post('{}', 'application/json'), { status: 415 })

  router.outage = 503
  const unavailable = await call(t, gateway, 'get', cards, byId(escnOf(8004)))
  t.match(unavailable, { status: 503, body: { type: /router-unavailable$/ } })
  t.match(await post(checkEnvelope(escnOf(8005))), { status: 500, body: /RouterUnavailable/ })

  const missed = documentedOperations().filter((operation) => operation.includes(' /crous/') && !called.has(operation))
  t.same(missed, [], 'every documented validity operation was called')
})
