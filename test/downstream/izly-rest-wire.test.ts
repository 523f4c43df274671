// The REST client's requests byte for byte, against hand-written expectations of what ESUP-SGC sends
// (esup-sgc-dropin.md §2.2) with true-UTC dates, each also checked against openapi/api-crous-v1.yaml;
// and what every class of hand-written API answer becomes. An undici MockAgent stands in for the
// network (the client takes its dispatcher by injection).
import t, { type Test } from 'tap'
import { Agent, interceptors, MockAgent } from 'undici'
import type { IzlyRightHolder, IzlySmartCard } from '../../src/domain/izly-plan.ts'
import { DownstreamError } from '../../src/downstream/errors.ts'
import { createIzlyRestClient, type IzlyRestClientOptions } from '../../src/downstream/izly/rest-client.ts'
import { validateApiCrousRequest } from '../helpers/api-crous-contract.ts'

const API = 'https://api.lescrous.fr'
const ACCESS = 'https://acces.lescrous.fr'
const CLIENT = { clientId: 'univ-rouen', clientSecret: 's3cr3t!' }
const BASIC = `Basic ${Buffer.from('univ-rouen:s3cr3t!').toString('base64')}`
const ctx = { correlationId: 'evt-wire-1' }
const JSON_TYPE = { 'content-type': 'application/json' }

interface Sent { method: string, path: string, headers: Record<string, string>, body: string | undefined }

const student: IzlyRightHolder = {
  identifier: '0123456789A',
  firstName: 'Élodie',
  lastName: 'Martin',
  email: 'elodie.martin@etu.univ-rouen.fr',
  dueDate: '2027-08-31T23:59:59+02:00',
  idCompanyRate: 10,
  idRate: 1,
  birthDate: '2004-05-06',
  ine: '0123456789A',
  rneOrgCode: '0761904G',
}

const card: IzlySmartCard = {
  uid: '04a1b2c3d4e5f6',
  rid: '04A1B2C3D4E5F6',
  idZdc: '250000000000123',
  idTransmitter: 65,
  idMapping: 1,
  zdcCreationDate: '2025-09-01T08:30:00+02:00',
  pixSs: '03',
  pixNn: '0000',
  appl: 'D1',
}

/** A MockAgent for the API and the access server, a client on it, and every request captured. */
function wire (t: Test, options: Partial<IzlyRestClientOptions> = {}) {
  const agent = new MockAgent()
  agent.disableNetConnect()
  t.teardown(async () => await agent.close())
  const apiUrl = options.apiUrl ?? API
  const accessUrl = options.accessUrl ?? ACCESS
  const sent: Sent[] = []
  const capture = (opts: { method: string, path: string, headers?: unknown, body?: unknown }): void => {
    sent.push({ method: opts.method, path: opts.path, headers: lowerCase(opts.headers), body: typeof opts.body === 'string' ? opts.body : undefined })
  }
  const api = agent.get(new URL(apiUrl).origin)
  const access = agent.get(new URL(accessUrl).origin)
  const token = (value = 'T1', path = '/api/oauth/token?grant_type=client_credentials', body?: string): void => {
    access.intercept({ path, method: 'POST' }).reply((opts) => {
      capture(opts)
      return { statusCode: 200, data: body ?? JSON.stringify({ access_token: value, token_type: 'Bearer', expires_in: 3600 }), responseOptions: { headers: JSON_TYPE } }
    })
  }
  const answer = (method: string, path: string, statusCode: number, data: string = '', headers: Record<string, string> = JSON_TYPE): void => {
    api.intercept({ path, method }).reply((opts) => {
      capture(opts)
      return { statusCode, data, responseOptions: { headers } }
    })
  }
  const client = createIzlyRestClient({ apiUrl, accessUrl, ...CLIENT, dispatcher: agent, timeoutMs: 2000, ...options })
  t.teardown(async () => await client.close())
  return { agent, api, client, sent, token, answer }
}

function lowerCase (headers: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) out[String(headers[i]).toLowerCase()] = String(headers[i + 1])
  } else if (headers !== null && typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = String(value)
  }
  return out
}

async function failureOf (promise: Promise<unknown>): Promise<DownstreamError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught)
  if (!(error instanceof DownstreamError)) throw new Error(`expected a DownstreamError, got ${String(error)}`)
  return error
}

async function matchesDocument (t: Test, sent: Sent[]): Promise<void> {
  for (const request of sent) {
    const { operationId, errors } = await validateApiCrousRequest(request)
    t.same(errors, [], `${request.method} ${request.path} is ${operationId} of openapi/api-crous-v1.yaml`)
  }
}

const API_HEADERS = { accept: 'application/json', authorization: 'Bearer T1', 'user-agent': 'leocarte-gateway', 'x-correlation-id': 'evt-wire-1' }

t.test('every operation on the wire: method, path, headers and body bytes as ESUP-SGC sends them, dates in true UTC', async (t) => {
  const { client, sent, token, answer } = wire(t)
  token()
  const holderPath = '/beforeizly/v1/rightholders/0123456789A'
  const cardPath = `${holderPath}/smartcard/250000000000123`
  answer('GET', holderPath, 404)
  answer('POST', '/beforeizly/v1/rightholders', 201)
  answer('PUT', holderPath, 200, '{}')
  answer('PATCH', '/beforeizly/v1/rightholders/c.martin@univ-rouen.fr', 200)
  answer('DELETE', '/beforeizly/v1/closed-rightholders/0123456789A', 204)
  answer('POST', `${holderPath}/smartcard`, 201)
  answer('GET', cardPath, 404)
  answer('PATCH', cardPath, 200)
  answer('PATCH', cardPath, 200)

  t.equal(await client.getRightHolder('0123456789A', ctx), null)
  t.equal(await client.createRightHolder(student, ctx), 'created')
  await client.updateRightHolder({ identifier: '0123456789A', ine: '0123456789A', idCompanyRate: 10 }, ctx)
  await client.patchIdentifier({ currentIdentifier: 'c.martin@univ-rouen.fr', email: 'elodie.martin@etu.univ-rouen.fr', newIdentifier: '0123456789A' }, ctx)
  await client.uncloseRightHolder('0123456789A', ctx)
  await client.registerSmartCard('0123456789A', card, ctx)
  t.equal(await client.getSmartCard('0123456789A', card.idZdc, ctx), null)
  t.equal(await client.opposeSmartCard({ identifier: '0123456789A', idZdc: card.idZdc, uid: card.uid, reason: 'DV', cancelDate: '2025-10-01T14:00:00+02:00' }, ctx), 'opposed')
  await client.revalidateSmartCard({ identifier: '0123456789A', idZdc: card.idZdc, uid: card.uid, revalidationDate: '2025-10-02T09:00:00.5Z' }, ctx)

  const withBody = { ...API_HEADERS, 'content-type': 'application/json' }
  t.same(sent, [
    { method: 'POST', path: '/api/oauth/token?grant_type=client_credentials', headers: { authorization: BASIC, accept: 'application/json', 'user-agent': 'leocarte-gateway' }, body: undefined },
    { method: 'GET', path: holderPath, headers: API_HEADERS, body: undefined },
    {
      method: 'POST',
      path: '/beforeizly/v1/rightholders',
      headers: withBody,
      body: '{"identifier":"0123456789A","firstName":"Élodie","lastName":"Martin","email":"elodie.martin@etu.univ-rouen.fr",' +
        '"dueDate":"2027-08-31T21:59:59.000Z","idCompanyRate":10,"idRate":1,"simpleBirthDate":"2004-05-06","ine":"0123456789A",' +
        '"rneOrgCode":"0761904G","accountStatus":null,"blockingStatus":null}',
    },
    {
      method: 'PUT',
      path: holderPath,
      headers: withBody,
      body: '{"identifier":"0123456789A","firstName":null,"lastName":null,"email":null,"dueDate":null,"idCompanyRate":10,"idRate":null,' +
        '"simpleBirthDate":"","ine":"0123456789A","rneOrgCode":null,"accountStatus":null,"blockingStatus":null}',
    },
    {
      method: 'PATCH',
      path: '/beforeizly/v1/rightholders/c.martin@univ-rouen.fr',
      headers: withBody,
      body: '{"currentIdentifier":"c.martin@univ-rouen.fr","email":"elodie.martin@etu.univ-rouen.fr","newIdentifier":"0123456789A"}',
    },
    { method: 'DELETE', path: '/beforeizly/v1/closed-rightholders/0123456789A', headers: API_HEADERS, body: undefined },
    {
      method: 'POST',
      path: `${holderPath}/smartcard`,
      headers: withBody,
      body: '{"idTransmitter":65,"idMapping":1,"idZdc":250000000000123,"zdcCreationDate":"2025-09-01T06:30:00.000Z","pixSs":"03","pixNn":"0000",' +
        '"appl":"D1","uid":"04A1B2C3D4E5F6","rid":"04A1B2C3D4E5F6"}',
    },
    { method: 'GET', path: cardPath, headers: API_HEADERS, body: undefined },
    { method: 'PATCH', path: cardPath, headers: { ...withBody, uid: '04A1B2C3D4E5F6' }, body: '{"cancelDate":"2025-10-01T12:00:00.000Z","reason":"DV","revalidationDate":""}' },
    { method: 'PATCH', path: cardPath, headers: { ...withBody, uid: '04A1B2C3D4E5F6' }, body: '{"revalidationDate":"2025-10-02T09:00:00.500Z","cancelDate":"","reason":""}' },
  ])
  await matchesDocument(t, sent)
})

t.test('identifiers are one path segment each: an eppn\'s @ stays, a slash or a space is escaped', async (t) => {
  const { client, sent, token, answer } = wire(t)
  token()
  answer('GET', '/beforeizly/v1/rightholders/j.doe+sgc@univ-rouen.fr', 404)
  answer('GET', '/beforeizly/v1/rightholders/a%20b%2Fc/smartcard/42', 404)
  await client.getRightHolder('j.doe+sgc@univ-rouen.fr', ctx)
  await client.getSmartCard('a b/c', '42', ctx)
  t.same(sent.slice(1).map((request) => request.path), ['/beforeizly/v1/rightholders/j.doe+sgc@univ-rouen.fr', '/beforeizly/v1/rightholders/a%20b%2Fc/smartcard/42'])
})

t.test('pre-production (an API base with -pp): the token comes from /api-pp/oauth/token; path prefixes are kept', async (t) => {
  const preProd = wire(t, { apiUrl: 'https://api-pp.nuonet.fr' })
  preProd.token('PP', '/api-pp/oauth/token?grant_type=client_credentials')
  preProd.answer('GET', '/beforeizly/v1/rightholders/x', 404)
  await preProd.client.getRightHolder('x', ctx)
  t.equal(preProd.sent[0]?.path, '/api-pp/oauth/token?grant_type=client_credentials')
  t.equal(preProd.sent[1]?.headers.authorization, 'Bearer PP')

  const behindFacade = wire(t, { apiUrl: 'https://gw.univ.fr/api-crous', accessUrl: 'https://gw.univ.fr/api-crous/' })
  behindFacade.token('GW', '/api-crous/api/oauth/token?grant_type=client_credentials')
  behindFacade.answer('GET', '/api-crous/beforeizly/v1/rightholders/x', 404)
  t.equal(await behindFacade.client.getRightHolder('x', ctx), null)
  t.equal(behindFacade.client.tokenRequests, 1)
})

t.test('what each hand-written answer becomes', async (t) => {
  const cases: Array<{ name: string, method: 'GET' | 'PATCH' | 'POST', status: number, body?: string, headers?: Record<string, string>, expect: unknown }> = [
    { name: '404, empty body: unknown holder', method: 'GET', status: 404, expect: null },
    { name: '404 with the API\'s error body: unknown holder', method: 'GET', status: 404, body: '{"errors":[{"code":null,"message":"Not found","field":null}]}', expect: null },
    { name: '404 HTML page (a proxy): permanent, not "unknown"', method: 'GET', status: 404, body: '<html><body>Not Found</body></html>', headers: { 'content-type': 'text/html' }, expect: { code: 'HTTP_404', transient: false } },
    { name: '404 from a gateway that routes nothing there: permanent', method: 'PATCH', status: 404, body: '{"message":"No context-path matches the request URI.","http_status_code":404}', expect: { code: 'HTTP_404', transient: false } },
    { name: '404 empty on an opposition: nothing to oppose', method: 'PATCH', status: 404, expect: 'not-found' },
    { name: '422 -9 on an opposition (a number code): already opposed', method: 'PATCH', status: 422, body: '{"errors":[{"code":-9,"message":"Carte déjà invalidée","field":null}]}', expect: 'already-opposed' },
    { name: '422 -11 on a creation: already exists', method: 'POST', status: 422, body: '{"errors":[{"code":"-11","message":"Client existant","field":null}]}', expect: 'already-exists' },
    { name: '422 -42 on an opposition: unknown holder (the sync tries the next key)', method: 'PATCH', status: 422, body: '{"errors":[{"code":"-42","message":"Client inconnu","field":"identifier"}]}', expect: 'unknown-holder' },
    { name: '422 -42 on a read: permanent, code and field kept', method: 'GET', status: 422, body: '{"errors":[{"code":"-42","message":"Client inconnu","field":"identifier"}]}', expect: { code: '-42', field: 'identifier', httpStatus: 422, transient: false } },
    { name: '422 -117: permanent', method: 'GET', status: 422, body: '{"errors":[{"code":"-117","message":"Client anonymisé","field":null}]}', expect: { code: '-117', transient: false } },
    { name: '406 other institution\'s RNE: permanent HTTP_406', method: 'POST', status: 406, body: '{"errors":[{"code":null,"message":"Le compte a un rne prioritaire qui est différent du rne proposé","field":null}]}', expect: { code: 'HTTP_406', httpStatus: 406, transient: false } },
    { name: '423 text body: permanent HTTP_423', method: 'GET', status: 423, body: 'Account is closed', headers: { 'content-type': 'text/plain' }, expect: { code: 'HTTP_423', transient: false } },
    { name: '500 with an error body: transient, with its code', method: 'PATCH', status: 500, body: '{"errors":[{"code":"-1","message":"NullPointerException","field":null}]}', expect: { code: '-1', httpStatus: 500, transient: true } },
    { name: '503 HTML page: transient', method: 'PATCH', status: 503, body: '<html>maintenance</html>', headers: { 'content-type': 'text/html', 'retry-after': '120' }, expect: { code: 'HTTP_503', transient: true, retryAfterMs: 120_000 } },
    { name: '429 with Retry-After: transient, delay kept', method: 'PATCH', status: 429, headers: { 'retry-after': '30' }, expect: { code: 'HTTP_429', transient: true, retryAfterMs: 30_000 } },
    { name: '302 redirect: permanent, not followed', method: 'PATCH', status: 302, headers: { location: 'https://login.example/' }, expect: { code: 'HTTP_302', transient: false, message: /not followed/ } },
    { name: '200 HTML page on a write: not taken for success', method: 'PATCH', status: 200, body: '<!DOCTYPE html><html>Portail</html>', headers: { 'content-type': 'text/html' }, expect: { code: 'INVALID_RESPONSE', transient: true, doubtful: true } },
    { name: '200 text "OK" on a write: success (write bodies are ignored)', method: 'PATCH', status: 200, body: 'OK', headers: { 'content-type': 'text/plain' }, expect: 'opposed' },
    { name: '204 no body on a write: success', method: 'PATCH', status: 204, expect: 'opposed' },
    { name: '200 not JSON on a read: not a right holder, doubtful', method: 'GET', status: 200, body: 'OK', headers: { 'content-type': 'text/plain' }, expect: { code: 'INVALID_RESPONSE', transient: true, doubtful: true } },
    { name: '200 JSON without an identifier on a read: not a right holder, doubtful', method: 'GET', status: 200, body: '{"status":"ok"}', expect: { code: 'INVALID_RESPONSE', transient: true, doubtful: true } },
    { name: '200 right holder with an offset date and unknown fields: read', method: 'GET', status: 200, body: '{"identifier":"x","dueDate":"2027-08-31T23:59:59+02","idCompanyRate":"10","accountStatus":"ACTIF","blockingStatus":"DUMMY","cellNumber":"0600000000","simpleBirthDate":""}', expect: { rightHolder: { identifier: 'x', dueDate: '2027-08-31T21:59:59.000Z', idCompanyRate: 10 }, accountStatus: 'ACTIF' } },
    { name: 'a body over the cap: refused', method: 'GET', status: 200, body: `{"identifier":"x","pad":"${'x'.repeat(70_000)}"}`, expect: { code: 'INVALID_RESPONSE', transient: false, message: /over the size limit/ } },
  ]
  for (const test of cases) {
    await t.test(test.name, async (t) => {
      const { client, token, answer } = wire(t, { maxBodyBytes: 64 * 1024 })
      token()
      const path = test.method === 'POST' ? '/beforeizly/v1/rightholders' : test.method === 'GET' ? '/beforeizly/v1/rightholders/x' : '/beforeizly/v1/rightholders/x/smartcard/1'
      answer(test.method, path, test.status, test.body ?? '', { ...JSON_TYPE, ...test.headers })
      const run = test.method === 'POST'
        ? client.createRightHolder({ identifier: 'x' }, ctx)
        : test.method === 'GET'
          ? client.getRightHolder('x', ctx)
          : client.opposeSmartCard({ identifier: 'x', idZdc: '1', uid: '04AA', reason: 'DP', cancelDate: '2025-10-01T12:00:00Z' }, ctx)
      const outcome = await run.then((value) => value, (error: unknown) => error)
      if (test.expect === null || typeof test.expect === 'string') t.same(outcome, test.expect)
      else if (outcome instanceof DownstreamError) t.match(outcome, test.expect)
      else t.match(outcome, test.expect)
    })
  }
})

t.test('no answer in time, and no answer at all: transient', async (t) => {
  const slow = wire(t, { timeoutMs: 100 })
  slow.token()
  slow.api.intercept({ path: '/beforeizly/v1/rightholders/x/smartcard/1', method: 'PATCH' }).reply(200, '').delay(1000)
  t.match(await failureOf(slow.client.opposeSmartCard({ identifier: 'x', idZdc: '1', uid: '04AA', reason: 'DP', cancelDate: '2025-10-01T12:00:00Z' }, ctx)), { code: 'TIMEOUT', transient: true })

  const broken = wire(t)
  broken.token()
  broken.api.intercept({ path: '/beforeizly/v1/rightholders/x', method: 'GET' }).replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
  t.match(await failureOf(broken.client.getRightHolder('x', ctx)), { code: 'ECONNREFUSED', transient: true })
})

t.test('a redirect interceptor on an injected dispatcher is switched off: the credentials never follow a Location', async (t) => {
  const mock = new MockAgent()
  mock.disableNetConnect()
  t.teardown(async () => await mock.close())
  const access = mock.get(ACCESS)
  access.intercept({ path: '/api/oauth/token?grant_type=client_credentials', method: 'POST' }).reply(200, JSON.stringify({ access_token: 'T1', expires_in: 60 }), { headers: JSON_TYPE })
  mock.get(API).intercept({ path: '/beforeizly/v1/rightholders/x', method: 'GET' }).reply(301, '', { headers: { location: 'https://evil.example/steal' } })
  const evil = mock.get('https://evil.example')
  evil.intercept({ path: '/steal', method: 'GET' }).reply(200, '{"identifier":"x"}', { headers: JSON_TYPE })
  const client = createIzlyRestClient({ apiUrl: API, ...CLIENT, dispatcher: mock.compose(interceptors.redirect({ maxRedirections: 5 })) as unknown as Agent })
  t.teardown(async () => await client.close())
  t.match(await failureOf(client.getRightHolder('x', ctx)), { code: 'HTTP_301', transient: false })
  t.equal(mock.pendingInterceptors().filter((interceptor) => interceptor.origin === 'https://evil.example').length, 1, 'the Location was never asked')
})

t.test('token answers: expires_in as a string, a missing access_token, a token server error', async (t) => {
  const stringLifetime = wire(t)
  stringLifetime.token('T1', undefined, '{"access_token":"T1","expires_in":"3600","token_type":"Bearer"}')
  t.match(await stringLifetime.client.checkToken(), { lifetimeSeconds: 3600 })

  const noToken = wire(t)
  noToken.token('T1', undefined, '{"token_type":"Bearer","expires_in":3600}')
  t.match(await failureOf(noToken.client.getRightHolder('x', ctx)), { code: 'TOKEN_INVALID_RESPONSE', transient: true, doubtful: true })

  const failing = wire(t)
  failing.agent.get(ACCESS).intercept({ path: '/api/oauth/token?grant_type=client_credentials', method: 'POST' }).reply(500, '<html>oops</html>', { headers: { 'content-type': 'text/html' } })
  t.match(await failureOf(failing.client.getRightHolder('x', ctx)), { code: 'TOKEN_HTTP_500', transient: true, doubtful: false })

  const refused = wire(t)
  refused.agent.get(ACCESS).intercept({ path: '/api/oauth/token?grant_type=client_credentials', method: 'POST' }).reply(401, '{"error":"invalid_client"}', { headers: JSON_TYPE })
  t.match(await failureOf(refused.client.getRightHolder('x', ctx)), { code: 'TOKEN_HTTP_401', transient: true, doubtful: true }, 'credentials refused by the token server: bounded')
})
