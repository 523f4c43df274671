// The API CROUS façade's HTTP contract (http-cards.test.ts: card identity, logs, C1 answers) with ESUP-SGC (esup-sgc-dropin.md §2.1, §2.2, §5): tokens, the
// 401s that make ESUP-SGC re-authenticate, bodies unread before auth, the 400s naming a field, the body
// limit, the 503 when nothing can be stored, and one card whichever adapter met it first.
import t from 'tap'
import { cardEvent, crousData, csnOf } from '../../fixtures/card-events.ts'
import { captureLogger } from '../../helpers/capture-log.ts'
import { startTestGateway } from '../../helpers/gateway.ts'
import { driveToRest } from '../../helpers/rest.ts'
import { testIzly } from '../../helpers/izly.ts'
import { privateRedis } from '../../helpers/private-redis.ts'
import { uniquePrefix } from '../../helpers/redis.ts'
import { CROUS_API_KEY } from '../../helpers/validity.ts'
import { EsupSgc } from './helpers/esup-sgc.ts'

// Generous: on a loaded 2-vCPU machine (the suite runs two files at once) this takes minutes, not seconds.
t.setTimeout(360_000)

const CLIENT = { clientId: 'esup-sgc', clientSecret: 'esup-sgc-test-secret-0123' }
const extra = { SGC_CROUS_CLIENTS: `${CLIENT.clientId}:${CLIENT.clientSecret},other:other-client-secret-0123`, CROUS_API_KEYS: CROUS_API_KEY, FACADE_READ_DEADLINE_MS: '300' }

t.test('tokens: Basic client credentials on both paths; earlier tokens stay valid; every replica accepts them', async (t) => {
  const izly = await testIzly(t)
  const prefix = uniquePrefix()
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, prefix, role: 'api', extra })
  const replica = await startTestGateway(t, { izlyEndpoint: izly.url, prefix, role: 'api', extra, cleanup: false })
  const token = async (path: string, authorization: string): Promise<{ status: number, body: any }> => {
    const response = await gateway.app.inject({ method: 'POST', url: `/api-crous${path}?grant_type=client_credentials`, headers: { authorization } })
    return { status: response.statusCode, body: response.json() }
  }
  const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
  t.equal((await token('/api/oauth/token', basic(CLIENT.clientId, 'wrong-secret-0123456789'))).status, 401, 'wrong secret')
  t.equal((await token('/api/oauth/token', basic('nobody', CLIENT.clientSecret))).status, 401, 'unknown client')
  t.equal((await token('/api/oauth/token', '')).status, 401, 'no credentials')
  const first = await token('/api/oauth/token', basic(CLIENT.clientId, CLIENT.clientSecret))
  t.equal(first.status, 200)
  t.ok(Object.values(first.body).every((value) => typeof value !== 'object'), 'scalars only: ESUP-SGC reads a map of string to string')
  t.match(first.body, { access_token: String, token_type: 'bearer', expires_in: 3600 })
  const second = await token('/api-pp/oauth/token', basic(CLIENT.clientId, CLIENT.clientSecret))
  t.equal(second.status, 200, 'the -pp path too (a webUrl containing -pp)')
  t.not(first.body.access_token, second.body.access_token)

  const c9 = async (app: typeof gateway.app, authorization: string | undefined): Promise<number> => (await app.inject({ method: 'GET', url: '/api-crous/beforeizly/v1/crous/42/organization/0761904G', headers: authorization === undefined ? {} : { authorization } })).statusCode
  t.equal(await c9(gateway.app, `Bearer ${first.body.access_token as string}`), 200, 'the first token still works after a second was issued')
  t.equal(await c9(gateway.app, `Bearer ${second.body.access_token as string}`), 200)
  t.equal(await c9(replica.app, `Bearer ${first.body.access_token as string}`), 200, 'another API replica accepts it (tokens are in Redis)')
  for (const authorization of [undefined, '', 'Bearer ', 'Bearer null', 'null', 'Bearer not-a-token', `Basic ${first.body.access_token as string}`]) {
    t.equal(await c9(gateway.app, authorization), 401, `Authorization ${JSON.stringify(authorization)} is a 401 (ESUP-SGC re-authenticates on 401)`)
  }
})

t.test('no body is read before the token is checked; bad fields are 400s naming them; a large body is a 413', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, role: 'api', extra })
  const put = async (payload: string, authorization: string): Promise<{ status: number, body: any }> => {
    const response = await gateway.app.inject({ method: 'PUT', url: '/api-crous/beforeizly/v1/rightholders/jdoe@univ.fr', headers: { 'content-type': 'application/json', authorization }, payload })
    return { status: response.statusCode, body: response.body === '' ? undefined : response.json() }
  }
  t.equal((await put('{not json', 'Bearer nope')).status, 401, 'malformed JSON without a token: 401, the body is never parsed')
  const sgc = new EsupSgc(gateway.app, CLIENT)
  t.equal(await sgc.authenticate(), 200)
  const bearer = `Bearer ${sgc.token as string}`
  t.equal((await put('{not json', bearer)).status, 400, 'malformed JSON with a token: 400')
  const bad = await put('{"identifier":"jdoe@univ.fr","firstName":"\\ud800"}', bearer)
  t.equal(bad.status, 400)
  t.match(bad.body, { errors: [{ code: '400', field: 'body.firstName' }] }, 'API CROUS error body naming the field')
  t.equal((await put(JSON.stringify({ identifier: 'jdoe@univ.fr', lastName: 'x'.repeat(20_000) }), bearer)).status, 413, 'over FACADE_BODY_LIMIT_BYTES')
  const c8 = await sgc.call('C8', 'PATCH', '/beforeizly/v1/rightholders/jdoe@univ.fr/smartcard/12x', { headers: { uid: '04A1B2C3D4E5F6' }, body: { cancelDate: sgc.localTime(), reason: 'DP', revalidationDate: '' } })
  t.match(c8, { status: 400, body: { errors: [{ field: 'idZdc' }] } })
  const c1 = await sgc.call('C1', 'GET', '/beforeizly/v1/rightholders/null')
  t.match(c1, { status: 200, body: { identifier: 'null' } }, 'the literal null key is a key like another: never a 404 on C1')
})

t.test('Redis unreachable: a write is a 503 (ESUP-SGC rolls back and shows an error), never a 2xx', async (t) => {
  const redis = await privateRedis(t)
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, redisUrl: redis.url, role: 'api', cleanup: false, extra: { ...extra, REDIS_REQUEST_TIMEOUT_MS: '500' } })
  const sgc = new EsupSgc(gateway.app, CLIENT)
  t.equal(await sgc.authenticate(), 200)
  redis.process.kill('SIGSTOP')
  const c8 = await sgc.call('C8', 'PATCH', '/beforeizly/v1/rightholders/jdoe@univ.fr/smartcard/123456', { headers: { uid: '04A1B2C3D4E5F6' }, body: { cancelDate: sgc.localTime(), reason: 'DP', revalidationDate: '' } })
  t.equal(c8.status, 503, 'the opposition could not be made durable: 503')
  t.match(c8.body, { errors: [{ code: '503' }] })
  const token = await gateway.app.inject({ method: 'POST', url: '/api-crous/api/oauth/token', headers: { authorization: `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}` } })
  t.equal(token.statusCode, 503, 'no token can be stored either')
  redis.process.kill('SIGCONT')
})
