// The ESC Router façade's own rules: keys, bodies read only after the key, `{code, message}` errors,
// one card whichever adapter met it first, the validity service answering for façade cards at once,
// reads from the router within the deadline or from what the gateway holds, 503 only when a write
// cannot be made durable.
import t, { type Test } from 'tap'
import { esiFromIne } from '../../../src/domain/esc-identifiers.ts'
import { ESC_FACADE_BASE } from '../../../src/facade/esc-router/routes.ts'
import { escCardEvent, escnOf, ineOf, TEST_ESC_TOKEN, TEST_PIC, testEsc } from '../../helpers/esc.ts'
import { checkAnswer, esupHeaders } from '../../helpers/esup-sgc-esc.ts'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.ts'
import { CROUS_API_KEY } from '../../helpers/validity.ts'

const KEY = 'esc-facade-test-key-0123456789'
const OTHER_KEY = 'esc-facade-next-key-0123456789'
const UNUSED_IZLY = 'http://127.0.0.1:9/izly'

interface Answer { status: number, body: any, headers: Record<string, unknown> }

async function call (gateway: TestGateway, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = esupHeaders(KEY)): Promise<Answer> {
  const response = await gateway.app.inject({ method, url: ESC_FACADE_BASE + path, headers, ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }) })
  return { status: response.statusCode, body: response.body === '' ? undefined : JSON.parse(response.body), headers: response.headers }
}

function cardBody (escn: string, esi: string, status = 'ACTIVE'): Record<string, unknown> {
  return { cardNumber: escn, cardStatusType: status, cardType: 'SMART_NO_CDZ', expiresAt: '2030-08-31', issuedAt: '2026-09-01', issuerIdentifier: TEST_PIC, personIdentifier: esi, processorIdentifier: null }
}

/** An API-only gateway (no worker: what it answers comes from the façade and the intake alone). */
async function apiGateway (t: Test, routerUrl: string, extra: Record<string, string> = {}): Promise<TestGateway> {
  return await startTestGateway(t, {
    izlyEndpoint: UNUSED_IZLY,
    role: 'api',
    escEndpoint: { url: routerUrl, token: TEST_ESC_TOKEN, pic: TEST_PIC },
    extra: { SGC_ESC_KEYS: `${KEY},${OTHER_KEY}`, FACADE_READ_DEADLINE_MS: '300', CROUS_API_KEYS: CROUS_API_KEY, ...extra },
  })
}

t.test('a missing, empty, null or unknown key is a 401 with the router\'s exact error body, before any body is read', async (t) => {
  const esc = await testEsc(t)
  const gateway = await apiGateway(t, esc.url)
  const esi = esiFromIne(ineOf('keys'))
  const refused = [
    undefined,
    'Bearer',
    'Bearer ',
    'Bearer null',
    `Bearer ${KEY}x`,
    `Basic ${Buffer.from(`x:${KEY}`).toString('base64')}`,
    KEY,
  ]
  for (const authorization of refused) {
    const headers = esupHeaders(undefined)
    if (authorization !== undefined) headers.authorization = authorization
    const answer = await call(gateway, 'GET', `/persons/${esi}`, undefined, headers)
    t.equal(answer.status, 401, `${authorization ?? 'no header'}: 401`)
    t.same(answer.body, { code: 'SE-0000', message: 'Access denied' }, 'exactly {code, message}')
    await checkAnswer({ call: 'E1' }, answer.status, answer.headers['content-type'], answer.body)
  }
  for (const key of [KEY, OTHER_KEY]) {
    t.equal((await call(gateway, 'GET', `/persons/${esi}`, undefined, esupHeaders(key))).status, 404, 'either key of a rotation is accepted')
  }
  // Without a key, neither malformed JSON nor a body over the limit is looked at: the key decides first.
  const noKey = esupHeaders(undefined)
  t.equal((await call(gateway, 'POST', '/persons', '{not json', noKey)).status, 401, 'no key: malformed JSON is not parsed')
  t.equal((await call(gateway, 'POST', '/cards', 'x'.repeat(100_000), noKey)).status, 401, 'no key: a large body is not read')
  const tooLarge = await call(gateway, 'POST', '/cards', JSON.stringify({ pad: 'x'.repeat(20_000) }))
  t.equal(tooLarge.status, 413)
  t.same(Object.keys(tooLarge.body).sort(), ['code', 'message'])
  const malformed = await call(gateway, 'POST', '/persons', '{not json')
  t.equal(malformed.status, 400)
  t.same(Object.keys(malformed.body).sort(), ['code', 'message'])
  const unknown = await call(gateway, 'GET', '/organisations/1/person/x/picture')
  t.equal(unknown.status, 404)
  t.same(Object.keys(unknown.body).sort(), ['code', 'message'], 'an unserved path is a {code, message} 404 too')
})

t.test('bad identifiers and bodies are refused naming the field, and nothing is stored', async (t) => {
  const esc = await testEsc(t)
  const gateway = await apiGateway(t, esc.url)
  const esi = esiFromIne(ineOf('bad-bodies'))
  const escn = escnOf('bad-bodies')
  const cases: Array<[string, 'POST' | 'PUT', string, unknown, RegExp]> = [
    ['a lone surrogate in the ESI', 'POST', '/persons', `{"identifier":"urn:schac:personalUniqueCode:int:esi:fr:\\ud800","personOrganisationUpdateViews":[]}`, /well-formed/],
    ['no identifier', 'POST', '/persons', { personOrganisationUpdateViews: [{ organisationIdentifier: TEST_PIC }] }, /identifier/],
    ['an unknown academic level', 'POST', '/persons', { identifier: esi, personOrganisationUpdateViews: [{ organisationIdentifier: TEST_PIC, academicLevel: 'PHD' }] }, /academicLevel/],
    ['another ESI than the path\'s', 'PUT', `/persons/${esi}`, { identifier: `${esi}0`, personOrganisationUpdateViews: [] }, /ESI of the path/],
    ['a card number that is no ESCN', 'POST', '/cards', cardBody('not-an-escn', esi), /cardNumber/],
    ['a bad status', 'POST', '/cards', cardBody(escn, esi, 'LOST'), /cardStatusType/],
    ['a bad date', 'POST', '/cards', { ...cardBody(escn, esi), expiresAt: '31/08/2030' }, /expiresAt/],
    ['no person', 'POST', '/cards', { ...cardBody(escn, esi), personIdentifier: null }, /personIdentifier/],
  ]
  for (const [what, method, path, body, message] of cases) {
    const answer = await call(gateway, method, path, body)
    t.equal(answer.status, 400, what)
    t.same(Object.keys(answer.body).sort(), ['code', 'message'], `${what}: {code, message}`)
    t.match(answer.body.message, message, `${what}: the message names the field`)
  }
  t.equal(await gateway.registry.findCard('escn', escn), undefined, 'no card was stored')
})

t.test('a card met first through JSON intake is the same card through the façade; a façade card is valid at once', async (t) => {
  const esc = await testEsc(t)
  const gateway = await apiGateway(t, esc.url)
  const event = escCardEvent({ state: 'ENABLED', occurredAt: new Date(Date.now() - 60_000).toISOString() })
  t.equal((await gateway.post(event)).status, 202)
  const escn = event.card.escn as string
  const esi = esiFromIne(event.holder.ine as string)
  const person = { identifier: esi, fullName: 'Camille M.', personOrganisationUpdateViews: [{ organisationIdentifier: TEST_PIC, email: 'other@etu.example.fr', academicLevel: 'MASTER' }] }
  t.equal((await call(gateway, 'POST', '/persons', person)).status, 201)
  const created = await call(gateway, 'POST', '/cards', cardBody(escn.toUpperCase(), esi))
  t.equal(created.status, 201)
  await checkAnswer({ call: 'E5' }, created.status, created.headers['content-type'], created.body)
  const record = await gateway.registry.findCard('escn', escn)
  t.equal(record?.card.id, event.card.id, 'found by its ESCN: one card, not two')
  t.equal(record?.holder.eppn, event.holder.eppn, 'its holder kept')
  t.same(record?.holder.consents, { crous: true, esc: true }, 'the CROUS consent kept')
  t.same(record?.holder.escPerson, { fullName: 'Camille M.', email: 'other@etu.example.fr' }, 'the ESC person kept apart')
  t.equal(record?.holder.email, event.holder.email, 'Izly\'s e-mail not overwritten')
  t.equal(record?.holder.lastName, 'Martin', 'nor its names')
  t.equal(record?.holder.academicLevel, 'MASTER')

  t.equal((await call(gateway, 'DELETE', `/cards/${escn}`)).status, 204)
  const disabled = await gateway.registry.getCard(event.card.id)
  t.equal(disabled?.card.state, 'DISABLED', 'the ESC DELETE disables the card')
  t.equal(disabled?.card.escOnDisable, 'delete', 'and asks the router for a DELETE')
  t.same(disabled?.card.crous, event.card.crous, 'its CROUS data untouched')

  // A card first met through the façade: its id comes from its ESCN; the validity service knows it at once.
  const fresh = escnOf('facade-first')
  const freshEsi = esiFromIne(ineOf('facade-first'))
  t.equal((await call(gateway, 'POST', '/cards', cardBody(fresh, freshEsi))).status, 201)
  const freshRecord = await gateway.registry.findCard('escn', fresh)
  t.equal(freshRecord?.card.id, `esc-${fresh}`, 'card id esc-<escn>')
  t.same(freshRecord?.holder.consents, { crous: false, esc: true }, 'no CROUS consent is invented')
  const validity = await gateway.app.inject({ method: 'GET', url: `/crous/v1/cards/${fresh}/validity`, headers: { 'x-api-key': CROUS_API_KEY } })
  t.match(validity.json(), { valid: true, source: 'registry' }, 'valid at once, from the registry')
  const resent = await call(gateway, 'POST', '/cards', cardBody(fresh, freshEsi))
  t.equal(resent.status, 201, 'the same call again is answered alike')
  t.equal((await gateway.registry.findCard('escn', fresh))?.version, freshRecord?.version, 'and changes nothing')
  t.equal((await call(gateway, 'DELETE', `/cards/${fresh}`)).status, 204)
  const invalid = await gateway.app.inject({ method: 'GET', url: `/crous/v1/cards/${fresh}/validity`, headers: { 'x-api-key': CROUS_API_KEY } })
  t.match(invalid.json(), { valid: false, state: 'DISABLED' }, 'invalid at once once ESUP-SGC deleted it')
})

t.test('reads: the router within the deadline, else what the gateway holds', async (t) => {
  const esc = await testEsc(t)
  const gateway = await apiGateway(t, esc.url)
  const known = esiFromIne(ineOf('router-knows'))
  // A person registered at the router before the gateway (ESUP-SGC then sends a PUT).
  const registered = await fetch(`${esc.url}/api/v2/persons`, { method: 'POST', headers: { authorization: `Bearer ${TEST_ESC_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ identifier: known, personOrganisationUpdateViews: [{ organisationIdentifier: TEST_PIC }] }) })
  t.equal(registered.status, 201)
  const found = await call(gateway, 'GET', `/persons/${known}`)
  t.equal(found.status, 200)
  t.same(found.body, { identifier: known }, 'only the identifier: nothing ESUP-SGC could fail to parse')
  await checkAnswer({ call: 'E1' }, found.status, found.headers['content-type'], found.body)
  const list = await call(gateway, 'GET', '/persons?page=0&size=200')
  t.equal(list.status, 200)
  t.ok(list.body.content.some((person: { identifier: string }) => person.identifier.toLowerCase() === known.toLowerCase()), 'the router\'s list')
  t.same(Object.keys(list.body).sort(), ['content', 'page'])
  t.same(Object.keys(list.body.page).sort(), ['number', 'size', 'totalElements', 'totalPages'], 'the four numbers ESUP-SGC\'s page reads, nothing else')
  await checkAnswer({ call: 'E9' }, list.status, list.headers['content-type'], list.body)

  const escn = escnOf('held-status')
  const esi = esiFromIne(ineOf('held-status'))
  t.equal((await call(gateway, 'POST', '/cards', cardBody(escn, esi))).status, 201)
  esc.setLatency(1500)
  const slowStatus = await call(gateway, 'GET', `/cards/${escn}/status`)
  t.match(slowStatus, { status: 200, body: { cardNumber: escn, status: 'ACTIVE', expiresAt: '2030-08-31' } }, 'router slow: the held card\'s status')
  await checkAnswer({ call: 'E8' }, slowStatus.status, slowStatus.headers['content-type'], slowStatus.body)
  t.equal((await call(gateway, 'GET', `/persons/${known}`)).status, 404, 'router slow, person not held: 404, which sends ESUP-SGC to a POST')
  const emptyList = await call(gateway, 'GET', '/persons?page=0&size=200')
  t.same(emptyList.body, { content: [], page: { number: 0, size: 200, totalElements: 0, totalPages: 0 } }, 'router slow: an empty page (the purge tool deletes nothing)')
  esc.setLatency(0)
  const unknownCard = await call(gateway, 'GET', `/cards/${escnOf('nobody')}/status`)
  t.equal(unknownCard.status, 404)
  await checkAnswer({ call: 'E8' }, unknownCard.status, unknownCard.headers['content-type'], unknownCard.body)
})

t.test('Redis unreachable: a write is a 503 {code, message} with nothing stored; reads still answer', async (t) => {
  const esc = await testEsc(t)
  const gateway = await apiGateway(t, esc.url, { REDIS_URL: 'redis://127.0.0.1:9', REDIS_REQUEST_TIMEOUT_MS: '200' })
  const escn = escnOf('redis-down')
  const esi = esiFromIne(ineOf('redis-down'))
  for (const [method, path, body] of [['POST', '/cards', cardBody(escn, esi)], ['DELETE', `/cards/${escn}`, undefined], ['POST', '/persons', { identifier: esi, personOrganisationUpdateViews: [] }]] as const) {
    const answer = await call(gateway, method, path, body)
    t.equal(answer.status, 503, `${method} ${path}: 503, so ESUP-SGC rolls back and nothing is lost`)
    t.same(Object.keys(answer.body).sort(), ['code', 'message'])
    t.ok(answer.headers['retry-after'] !== undefined, 'with Retry-After')
  }
  t.equal((await call(gateway, 'GET', `/persons/${esi}`)).status, 404, 'a read still answers')
})

t.test('over a real socket, as ESUP-SGC\'s HttpClient sends them: a DELETE with Content-Type and no body, a path that decodes to nothing', async (t) => {
  const esc = await testEsc(t)
  const gateway = await startTestGateway(t, {
    izlyEndpoint: UNUSED_IZLY,
    role: 'api',
    listen: true,
    escEndpoint: { url: esc.url, token: TEST_ESC_TOKEN, pic: TEST_PIC },
    extra: { SGC_ESC_KEYS: KEY, FACADE_READ_DEADLINE_MS: '300' },
  })
  const base = `${gateway.url ?? ''}${ESC_FACADE_BASE}`
  const escn = escnOf('socket')
  const deleted = await fetch(`${base}/cards/${escn}`, { method: 'DELETE', headers: { ...esupHeaders(KEY), 'content-length': '0' } })
  t.equal(deleted.status, 204, 'DELETE with Content-Type: application/json and no body')
  t.equal((await gateway.registry.findCard('escn', escn))?.card.escOnDisable, 'delete')
  const esi = esiFromIne(ineOf('socket'))
  const lookup = await fetch(`${base}/persons/${esi}`, { headers: esupHeaders(KEY) })
  t.equal(lookup.status, 404, 'an ESI raw in the path, colons and all')
  t.same(await lookup.json(), { code: 'LEO-0404', message: 'Person not found' })
  const bad = await gateway.app.inject({ method: 'GET', url: `${ESC_FACADE_BASE}/persons/%C0`, headers: esupHeaders(KEY) })
  t.equal(bad.statusCode, 400)
  t.same(Object.keys(bad.json()).sort(), ['code', 'message'], 'a path that decodes to nothing: {code, message}, not problem+json')
})

t.test('a person DELETE for a registration the gateway never saw confirmed is also sent to the router at once', async (t) => {
  const esc = await testEsc(t)
  // No worker: the card below is never confirmed by the gateway, as when the router's answer was lost.
  const gateway = await apiGateway(t, esc.url)
  const esi = esiFromIne(ineOf('unconfirmed'))
  const escn = escnOf('unconfirmed')
  const registered = await fetch(`${esc.url}/api/v2/persons`, { method: 'POST', headers: { authorization: `Bearer ${TEST_ESC_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ identifier: esi, personOrganisationUpdateViews: [{ organisationIdentifier: TEST_PIC }] }) })
  t.equal(registered.status, 201)
  t.equal((await call(gateway, 'POST', '/cards', cardBody(escn, esi))).status, 201)
  t.equal((await call(gateway, 'DELETE', `/persons/${esi}`)).status, 204)
  t.notOk(esc.state.persons.has(esi.toLowerCase()), 'the router no longer holds the person')
  t.same((await gateway.registry.findCard('escn', escn))?.holder.consents, { crous: false, esc: false }, 'and the card\'s consent is withdrawn for the lane')
})
