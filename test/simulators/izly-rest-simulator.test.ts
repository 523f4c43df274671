// The Izly simulator's API CROUS face, spoken to by hand: the token endpoint and its expiring tokens,
// request validation against openapi/api-crous-v1.yaml, the API's error bodies, and the control API.
import t, { type Test } from 'tap'
import { type IzlySimulator, startIzlySimulator } from '../../src/simulators/izly/server.ts'

const BASIC = (id: string, secret: string): string => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`

async function setUp (t: Test, now?: () => number) {
  const simulator = await startIzlySimulator({ clientId: 'univ', clientSecret: 'secret', tokenTtlSeconds: 60, ...(now === undefined ? {} : { now }) })
  t.teardown(() => simulator.close())
  const token = async (path = '/api/oauth/token?grant_type=client_credentials', authorization = BASIC('univ', 'secret')) => {
    const response = await fetch(`${simulator.accessUrl}${path}`, { method: 'POST', headers: { authorization } })
    const text = await response.text()
    return { status: response.status, body: (text.startsWith('{') ? JSON.parse(text) : { text }) as Record<string, unknown> }
  }
  const call = async (method: string, path: string, options: { bearer?: string, body?: unknown, headers?: Record<string, string> } = {}) => {
    const response = await fetch(`${simulator.apiUrl}/beforeizly/v1${path}`, {
      method,
      headers: {
        ...(options.bearer === undefined ? {} : { authorization: `Bearer ${options.bearer}` }),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
    })
    const text = await response.text()
    return { status: response.status, type: response.headers.get('content-type') ?? '', body: text === '' ? undefined : text.startsWith('{') ? JSON.parse(text) as Record<string, any> : text }
  }
  return { simulator, token, call }
}

function lastCall (simulator: IzlySimulator) {
  return simulator.listCalls().at(-1)
}

t.test('the token endpoint: client credentials in, an expiring bearer out, on both environment paths', async (t) => {
  const clock = { ms: Date.parse('2026-11-28T08:00:00Z') }
  const { simulator, token, call } = await setUp(t, () => clock.ms)
  const issued = await token()
  t.match(issued, { status: 200, body: { token_type: 'Bearer', expires_in: 60 } })
  t.match((await token('/api-pp/oauth/token?grant_type=client_credentials')).body, { expires_in: 60 }, 'pre-production path')
  t.match(await token(undefined, BASIC('univ', 'wrong')), { status: 401, body: { error: 'invalid_client' } })
  t.match(await token('/api/oauth/token'), { status: 400, body: { error: 'invalid_request' } }, 'no grant_type')
  t.match(await token('/api/oauth/token?grant_type=password'), { status: 400 })

  const bearer = issued.body.access_token as string
  simulator.patchHolder('alice', {})
  t.equal((await call('GET', '/rightholders/alice', { bearer })).status, 200)
  t.equal((await call('GET', '/rightholders/alice')).status, 401, 'no token')
  t.equal((await call('GET', '/rightholders/alice', { bearer: 'forged' })).status, 401, 'an unknown token')
  clock.ms += 60_000
  t.equal((await call('GET', '/rightholders/alice', { bearer })).status, 401, 'an expired token')
  t.equal(simulator.tokens.issued, 2)
})

t.test('requests are validated against openapi/api-crous-v1.yaml: what breaks it is a 400 in the API\'s error shape', async (t) => {
  const { simulator, token, call } = await setUp(t)
  const bearer = (await token()).body.access_token as string
  simulator.patchHolder('alice', {})
  simulator.putCard({ owner: 'alice', smartCard: { uid: '04AA', idZdc: '12', idTransmitter: 65, idMapping: 1, zdcCreationDate: '2025-09-01T00:00:00.000Z' } })
  const cases: Array<[string, string, unknown, Record<string, string>?]> = [
    ['a date without milliseconds', '/rightholders/alice/smartcard/12', { cancelDate: '2025-10-01T12:00:00Z', reason: 'DP', revalidationDate: '' }, { uid: '04AA' }],
    ['no uid header on a card PATCH', '/rightholders/alice/smartcard/12', { cancelDate: '2025-10-01T12:00:00.000Z', reason: 'DP', revalidationDate: '' }],
    ['a lower-case uid', '/rightholders/alice/smartcard/12', { cancelDate: '2025-10-01T12:00:00.000Z', reason: 'DP', revalidationDate: '' }, { uid: '04aa' }],
    ['a reason outside DP DV CD HS', '/rightholders/alice/smartcard/12', { cancelDate: '2025-10-01T12:00:00.000Z', reason: 'XX', revalidationDate: '' }, { uid: '04AA' }],
    ['malformed JSON', '/rightholders/alice/smartcard/12', '{"cancelDate":', { uid: '04AA' }],
  ]
  for (const [name, path, body, headers] of cases) {
    const answer = await call('PATCH', path, { bearer, body, ...(headers === undefined ? {} : { headers }) })
    t.match(answer, { status: 400, body: { errors: [{ code: '400' }] } }, name)
    t.match(lastCall(simulator), { restOperation: 'PatchSmartCard', valid: false, httpStatus: 400 }, `${name}: recorded as refused`)
  }
  const idZdcAsText = await call('POST', '/rightholders/alice/smartcard', { bearer, body: { uid: '04BB', idZdc: '13', idTransmitter: 65, idMapping: 1, zdcCreationDate: '2025-09-01T00:00:00.000Z' } })
  t.equal(idZdcAsText.status, 400, 'idZdc as a string, not a JSON number')
  const holder = { identifier: 'bob', firstName: null, lastName: null, email: null, dueDate: '2099-01-01T00:00:00.000Z', idCompanyRate: 10, idRate: 1, simpleBirthDate: '', ine: null, rneOrgCode: null, accountStatus: null, blockingStatus: null }
  t.equal((await call('POST', '/rightholders', { bearer, body: { ...holder, simpleBirthDate: '06/05/2004' } })).status, 400, 'a birth date not YYYY-MM-DD')
  t.equal((await call('POST', '/rightholders', { bearer, body: holder })).status, 201, 'and the valid one is created')
  t.equal(simulator.state.holders.get('bob')?.rightHolder.dueDate, '2099-01-01T00:00:00.000Z')
})

t.test('the API\'s answers: error bodies with Izly codes, no code where the API gives none, a gateway 404 for unknown paths', async (t) => {
  const { simulator, token, call } = await setUp(t)
  const bearer = (await token()).body.access_token as string
  simulator.putCard({ owner: 'alice', smartCard: { uid: '04AA', idZdc: '12', idTransmitter: 65, idMapping: 1, zdcCreationDate: '2025-09-01T00:00:00.000Z' }, cancelDate: '2025-10-01T12:00:00.000Z', reason: 'DP' })
  const oppose = { cancelDate: '2025-10-02T12:00:00.000Z', reason: 'DV', revalidationDate: '' }
  t.match(await call('PATCH', '/rightholders/alice/smartcard/12', { bearer, body: oppose, headers: { uid: '04AA' } }), { status: 422, body: { errors: [{ code: '-9', field: null }] } })
  t.match(await call('GET', '/rightholders/nobody', { bearer }), { status: 404, body: { errors: [{ code: null }] } })
  simulator.lockHolder('alice')
  t.match(await call('GET', '/rightholders/alice', { bearer }), { status: 423, body: { errors: [{ code: null, message: 'Account is locked' }] } })
  t.match(await call('GET', '/nothing/here', { bearer }), { status: 404, body: { message: 'No context-path matches the request URI.' } })

  simulator.scriptFault({ operation: 'PatchSmartCard', httpStatus: 429, retryAfterSeconds: 4, times: 1 })
  const limited = await fetch(`${simulator.apiUrl}/beforeizly/v1/rightholders/alice/smartcard/12`, { method: 'PATCH', headers: { authorization: `Bearer ${bearer}`, uid: '04AA', 'content-type': 'application/json' }, body: JSON.stringify(oppose) })
  t.equal(limited.status, 429)
  t.equal(limited.headers.get('retry-after'), '4', 'a REST-only operation name scripts the fault')
  await limited.body?.cancel()
})

t.test('switches: the API\'s outage leaves the access server up; a token fault needs its own script; "*" never reaches it', async (t) => {
  const { simulator, token, call } = await setUp(t)
  simulator.setOutage('http503')
  t.equal((await token()).status, 200, 'the access server is another host')
  const bearer = (await token()).body.access_token as string
  t.match(await call('GET', '/rightholders/alice', { bearer }), { status: 503, type: /text\/html/ })
  simulator.setOutage('off')
  simulator.scriptFault({ operation: '*', httpStatus: 500 })
  t.equal((await token()).status, 200)
  simulator.clearFaults()
  simulator.scriptFault({ operation: 'Token', httpStatus: 503, times: 1 })
  t.equal((await token()).status, 503)
  t.equal((await token()).status, 200)
})

t.test('the control API: token lifetime, revocation, counts; the call log holds keys only', async (t) => {
  const { simulator, token, call } = await setUp(t)
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${simulator.controlUrl}${path}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) })
    const text = await response.text()
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) as unknown }
  }
  t.same((await control('PUT', '/tokens/ttl', { ttlSeconds: 5 })).body, { ttlSeconds: 5 })
  t.equal((await control('PUT', '/tokens/ttl', { ttlSeconds: 0 })).status, 400)
  const bearer = (await token()).body.access_token as string
  t.match((await token()).body, { expires_in: 5 })
  t.same((await control('GET', '/tokens')).body, { issued: 2, ttlSeconds: 5 })
  simulator.patchHolder('alice', { rightHolder: { firstName: 'Alice', email: 'alice@univ-rouen.fr', ine: '0123456789A' } })
  t.equal((await call('GET', '/rightholders/alice', { bearer })).status, 200)
  t.equal((await control('POST', '/tokens/revoke')).status, 204)
  t.equal((await call('GET', '/rightholders/alice', { bearer })).status, 401)
  const logged = JSON.stringify(simulator.listCalls())
  for (const personal of ['Alice', 'alice@univ-rouen.fr', '0123456789A', bearer]) t.notOk(logged.includes(personal), 'no personal data or token in the call log')
})
