// The ESC Router simulator over plain HTTP: it refuses what the router refuses, answers with the
// router's status codes and error body, and is driven by a control API shaped like the Izly one's.
import t, { type Test } from 'tap'
import { isEscn } from '../../src/domain/esc-identifiers.ts'
import { ESC_OPERATIONS } from '../../src/simulators/esc/fault-script.ts'
import { TEST_ESC_TOKEN, TEST_PIC, testEsc, type TestEsc } from '../helpers/esc.ts'
import { escDocumentValidator } from '../helpers/esc-contract.ts'

const ESI = 'urn:schac:personalUniqueCode:int:esi:fr:0123456789A'
const ESCN = `7d3c2a10-1f2e-11ee-8c90-001${TEST_PIC}`
const PERSON = { identifier: ESI, identifierCode: 'ESI', personOrganisationUpdateViews: [{ organisationIdentifier: TEST_PIC, email: 'camille.martin@etu.univ-rouen.fr', fullName: 'Camille Martin' }] }
const CARD = { cardNumber: ESCN, cardStatusType: 'ACTIVE', cardType: 'SMART_NO_CDZ', issuedAt: '2026-09-01', expiresAt: '2030-08-31', issuerIdentifier: TEST_PIC, personIdentifier: ESI }

interface Answer { status: number, body: any, headers: Headers }

async function call (esc: TestEsc, method: string, path: string, body?: unknown, token: string | null = TEST_ESC_TOKEN): Promise<Answer> {
  const headers: Record<string, string> = {}
  if (token !== null) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`${esc.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) })
  const text = await response.text()
  let parsed: unknown = text
  try { parsed = text === '' ? undefined : JSON.parse(text) } catch {}
  return { status: response.status, body: parsed, headers: response.headers }
}

async function control (esc: TestEsc, method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${esc.controlUrl}${path}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) })
  const text = await response.text()
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text), headers: response.headers }
}

/** The answer matches the response the document declares for its operation and status. */
async function declared (t: Test, operationId: string, answer: Answer): Promise<void> {
  const api = await escDocumentValidator()
  const result = api.validateResponse(answer.body, operationId, answer.status)
  t.same(result.errors ?? [], [], `${operationId} ${answer.status} answers as the document declares`)
}

t.test('the simulator knows exactly the operations of the document', async (t) => {
  const api = await escDocumentValidator()
  t.same(api.router.getOperations().map((operation) => operation.operationId).sort(), [...ESC_OPERATIONS].sort())
})

t.test('it refuses what the router refuses: 401 without the token, 400 {code, message} against the document', async (t) => {
  const esc = await testEsc(t)
  t.match(await call(esc, 'POST', '/api/v2/persons', PERSON, null), { status: 401, body: { code: 'SE-0000', message: String } })
  t.match(await call(esc, 'POST', '/api/v2/persons', PERSON, 'wrong-token'), { status: 401, body: { code: 'SE-0000' } })
  const bad: Array<[string, string, unknown, RegExp]> = [
    ['a person without organisations', '/api/v2/persons', { identifier: ESI }, /personOrganisationUpdateViews/],
    ['an unknown academic level', '/api/v2/persons', { ...PERSON, personOrganisationUpdateViews: [{ organisationIdentifier: TEST_PIC, academicLevel: 'LICENCE' }] }, /allowed values/],
    ['a card without expiresAt', '/api/v2/cards', { ...CARD, expiresAt: undefined }, /expiresAt/],
    ['an unknown card type', '/api/v2/cards', { ...CARD, cardType: 'PLASTIC' }, /allowed values/],
    ['EXPIRED as an input status', '/api/v2/cards', { ...CARD, cardStatusType: 'EXPIRED' }, /allowed values/],
    ['a date-time for a date', '/api/v2/cards', { ...CARD, issuedAt: '2026-09-01T00:00:00Z' }, /format|pattern/],
    ['malformed JSON', '/api/v2/cards', '{"cardNumber":', /requestBody|type|object/],
  ]
  for (const [name, path, body, message] of bad) {
    const answer = await call(esc, 'POST', path, body)
    t.match(answer, { status: 400, body: { code: String, message } }, name)
    await declared(t, path.endsWith('persons') ? 'create' : 'create_1', answer)
  }
  t.match(await call(esc, 'GET', '/api/v2/nothing-here'), { status: 404, body: { code: String, message: String } })
  t.ok(esc.listCalls().every((call) => !call.valid), 'each was recorded as not matching the document')
})

t.test('the router\'s answers: 201, 200, 204, 404, 409 with ER-0019 / ER-0002; unknown fields ignored', async (t) => {
  const esc = await testEsc(t)
  // SPEC-A's person shape (top-level fullName, phone) is still accepted.
  const created = await call(esc, 'POST', '/api/v2/persons', { ...PERSON, fullName: 'Camille Martin', colour: 'blue', personOrganisationUpdateViews: [{ organisationIdentifier: TEST_PIC, phone: '0600000000' }] })
  t.match(created, { status: 201, body: { identifier: ESI, organisations: [{ organisation: { identifier: TEST_PIC }, fullName: 'Camille Martin' }] } })
  await declared(t, 'create', created)
  t.match(await call(esc, 'POST', '/api/v2/persons', PERSON), { status: 409, body: { code: 'ER-0019', message: 'User already exists for this organisation' } })
  t.match(await call(esc, 'POST', '/api/v2/persons', { ...PERSON, identifier: ESI.replace(':fr:', ':FR:') }), { status: 409, body: { code: 'ER-0019' } }, 'ESIs compare case-insensitively')
  const updated = await call(esc, 'PUT', `/api/v2/persons/${ESI}`, PERSON)
  t.match(updated, { status: 200, body: { identifier: ESI } })
  await declared(t, 'update', updated)
  t.match(await call(esc, 'PUT', `/api/v2/persons/${ESI}`, { ...PERSON, identifier: `${ESI}0` }), { status: 400 }, 'an ESI cannot be changed')

  t.match(await call(esc, 'POST', '/api/v2/cards', { ...CARD, personIdentifier: `${ESI}0` }), { status: 400 }, 'the person comes first')
  const card = await call(esc, 'POST', '/api/v2/cards', CARD)
  t.match(card, { status: 201, body: { cardNumber: ESCN, cardStatusType: { key: 'ACTIVE' }, person: { identifier: ESI } } })
  await declared(t, 'create_1', card)
  t.match(await call(esc, 'POST', '/api/v2/cards', CARD), { status: 409, body: { code: 'ER-0002' } })
  t.match(await call(esc, 'PUT', `/api/v2/cards/${ESCN}`, { ...CARD, cardStatusType: 'INACTIVE' }), { status: 200, body: { cardStatusType: { key: 'INACTIVE' } } })
  const minted = await call(esc, 'POST', '/api/v2/cards', { ...CARD, cardNumber: undefined })
  t.ok(minted.status === 201 && isEscn(minted.body.cardNumber) && minted.body.cardNumber.endsWith(TEST_PIC), 'a card without a number gets one minted')

  t.match(await call(esc, 'DELETE', `/api/v2/cards/${ESCN}`), { status: 204, body: undefined })
  t.match(await call(esc, 'DELETE', `/api/v2/cards/${ESCN}`), { status: 404 })
  t.match(await call(esc, 'PUT', `/api/v2/cards/${ESCN}`, CARD), { status: 404 })
  t.match(await call(esc, 'DELETE', `/api/v2/persons/${ESI}`), { status: 204 })
  t.equal(esc.state.cards.size, 0, 'deleting the person took their cards along')
  const gone = await call(esc, 'GET', `/api/v2/persons/${ESI}`)
  t.match(gone, { status: 404, body: { code: String, message: String } })
  await declared(t, 'findByExternalId', gone)
})

t.test('the public status needs no token and says EXPIRED after expiresAt', async (t) => {
  const esc = await testEsc(t)
  await call(esc, 'POST', '/api/v2/persons', PERSON)
  await call(esc, 'POST', '/api/v2/cards', CARD)
  const active = await call(esc, 'GET', `/api/v2/cards/${ESCN}/status`, undefined, null)
  t.match(active, { status: 200, body: { cardNumber: ESCN, status: 'ACTIVE', expiresAt: '2030-08-31', issuerIdentifier: TEST_PIC } })
  t.notMatch(JSON.stringify(active.body), /urn:schac/, 'no ESI in the public view')
  await declared(t, 'status', active)
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)
  await call(esc, 'PUT', `/api/v2/cards/${ESCN}`, { ...CARD, issuedAt: '2025-09-01', expiresAt: yesterday })
  t.match(await call(esc, 'GET', `/api/v2/cards/${ESCN}/status`, undefined, null), { status: 200, body: { status: 'EXPIRED' } })
  t.match(await call(esc, 'PUT', `/api/v2/cards/${ESCN}`, { ...CARD, expiresAt: '2031-08-31' }), { status: 200 })
  t.match(await call(esc, 'GET', `/api/v2/cards/${ESCN}/status`, undefined, null), { body: { status: 'ACTIVE' } }, 'revived with a PUT and a new expiresAt')
  t.match(await call(esc, 'GET', `/api/v2/cards/${ESCN.replace('7d3c', '0000')}/status`, undefined, null), { status: 404 })
})

t.test('pages hold 10 at most; generate-escn mints valid ESCNs, and answers 500 above 100', async (t) => {
  const esc = await testEsc(t)
  for (let i = 0; i < 25; i++) await call(esc, 'POST', '/api/v2/persons', { ...PERSON, identifier: `${ESI}${i}` })
  const page = await call(esc, 'GET', '/api/v2/persons?size=50&page=0')
  t.match(page, { status: 200, body: { empty: false, page: { size: 10, totalElements: 25, totalPages: 3 } } })
  t.equal(page.body.content.length, 10, 'size above 10 is ignored')
  await declared(t, 'findAll', page)
  t.equal((await call(esc, 'GET', '/api/v2/persons?page=2')).body.content.length, 5)
  t.match(await call(esc, 'GET', '/api/v2/cards'), { status: 200, body: { empty: true } })

  const hundred = await call(esc, 'GET', `/api/v2/cards/generate-escn?prefix=7&pic=${TEST_PIC}&numberOfESCN=100`)
  t.equal(hundred.status, 200)
  t.ok(hundred.body.length === 100 && hundred.body.every((escn: string) => isEscn(escn) && escn.endsWith(`007${TEST_PIC}`)), '100 ESCNs of prefix 007 and the PIC')
  t.match(await call(esc, 'GET', `/api/v2/cards/generate-escn?prefix=7&pic=${TEST_PIC}&numberOfESCN=101`), { status: 500 }, '500, not 400, as measured')
  t.match(await call(esc, 'GET', `/api/v2/cards/generate-escn?pic=${TEST_PIC}`), { status: 400 }, 'prefix is required')
})

t.test('another organisation\'s person is SE-0000', async (t) => {
  const esc = await testEsc(t)
  t.equal((await control(esc, 'PUT', '/foreign-persons', { esi: ESI, organisationIdentifier: '123456789' })).status, 201)
  t.match(await call(esc, 'GET', `/api/v2/persons/${ESI}`), { status: 403, body: { code: 'SE-0000', message: 'Access denied' } })
  t.match(await call(esc, 'DELETE', `/api/v2/persons/${ESI}`), { status: 403, body: { code: 'SE-0000' } })
  t.match(await call(esc, 'POST', '/api/v2/cards', { ...CARD, issuerIdentifier: '123456789' }), { status: 403, body: { code: 'SE-0000' } }, 'nor issue for another PIC')
  t.match(await call(esc, 'POST', '/api/v2/persons', PERSON), { status: 201 }, 'enrolling them here adds this organisation')
})

t.test('faults, outages, latency, calls and reset over the control API', async (t) => {
  const esc = await testEsc(t)
  const fault = await control(esc, 'POST', '/faults', { operation: 'create', httpStatus: 429, retryAfterSeconds: 3, times: 1 })
  t.match(fault, { status: 201, body: { id: String, operation: 'create' } })
  const limited = await call(esc, 'POST', '/api/v2/persons', PERSON)
  t.match(limited, { status: 429 })
  t.equal(limited.headers.get('retry-after'), '3')
  t.match(await call(esc, 'POST', '/api/v2/persons', PERSON), { status: 201 }, 'used up after one call')
  await control(esc, 'POST', '/faults', { operation: '*', httpStatus: 503, code: 'ER-0500', message: 'Maintenance', esi: ESI.replace(':fr:', ':FR:') })
  t.match(await call(esc, 'PUT', `/api/v2/persons/${ESI}`, PERSON), { status: 503, body: { code: 'ER-0500', message: 'Maintenance' } }, 'faults can target one person')
  t.match(await call(esc, 'POST', '/api/v2/persons', { ...PERSON, identifier: `${ESI}1` }), { status: 201 }, 'and only them')
  t.equal((await control(esc, 'DELETE', '/faults')).status, 204)
  t.match(await control(esc, 'POST', '/faults', { operation: 'CreatePerson', httpStatus: 500 }), { status: 400, body: { error: /operation must be/ } })

  t.match(await control(esc, 'PUT', '/outage', { mode: 'http503' }), { body: { mode: 'http503' } })
  t.match(await call(esc, 'GET', `/api/v2/persons/${ESI}`), { status: 503 })
  await control(esc, 'PUT', '/outage', { mode: 'reset' })
  await t.rejects(fetch(`${esc.url}/api/v2/persons/${ESI}`), 'the connection is dropped')
  t.match(await control(esc, 'PUT', '/outage', { mode: 'sideways' }), { status: 400 })
  await control(esc, 'PUT', '/outage', { mode: 'off' })

  await control(esc, 'PUT', '/latency', { ms: 150 })
  const started = Date.now()
  await call(esc, 'GET', `/api/v2/persons/${ESI}`)
  t.ok(Date.now() - started >= 140, 'latency is added')
  await control(esc, 'PUT', '/latency', { ms: 0 })

  const calls = (await control(esc, 'GET', '/calls')).body.calls as Array<Record<string, unknown>>
  t.ok(calls.some((call) => call.operation === 'create' && call.httpStatus === 429))
  t.ok(calls.some((call) => call.code === 'outage'))
  t.notMatch(JSON.stringify(calls), /urn:schac|camille|Martin|0123456789A/i, 'the call log holds no personal data')
  t.equal((await control(esc, 'POST', '/reset')).status, 204)
  t.same((await control(esc, 'GET', '/state')).body, { persons: [], cards: [] })
  t.same((await control(esc, 'GET', '/calls')).body, { calls: [] })
})
