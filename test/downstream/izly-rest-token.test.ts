// API CROUS tokens: one request in flight per process whatever the concurrency, renewed ahead of
// expires_in (no call meets an expired token), one renewal and one retry on a 401/403, and a token
// server that fails is a transient fault of the call. Against the simulator's access server, on a
// clock the test moves by hand (the simulator judges expiry by the same clock).
import t, { type Test } from 'tap'
import { DownstreamError } from '../../src/downstream/errors.ts'
import { createIzlyRestClient, type IzlyRestClientOptions } from '../../src/downstream/izly/rest-client.ts'
import { startIzlySimulator } from '../../src/simulators/izly/server.ts'
import { restSettingsOf } from '../helpers/izly.ts'

const ctx = { correlationId: 'evt-token' }
const card = { uid: '04A1B2C3D4E5F6', idZdc: '250000000000777', idTransmitter: 65, idMapping: 1, zdcCreationDate: '2025-09-01T00:00:00.000Z' }

async function setUp (t: Test, options: { ttlSeconds?: number, client?: Partial<IzlyRestClientOptions> } = {}) {
  const clock = { ms: Date.parse('2026-11-28T08:00:00Z') }
  const now = (): number => clock.ms
  const simulator = await startIzlySimulator({ now, tokenTtlSeconds: options.ttlSeconds ?? 3600 })
  t.teardown(() => simulator.close())
  simulator.putCard({ owner: 'alice', smartCard: card })
  const client = createIzlyRestClient({ ...restSettingsOf(simulator), timeoutMs: 2000, now, ...options.client })
  t.teardown(() => client.close())
  const apiStatuses = (): number[] => simulator.listCalls().filter((call) => call.operation !== 'Token').map((call) => call.httpStatus)
  const tokenCalls = () => simulator.listCalls().filter((call) => call.operation === 'Token')
  return { simulator, client, clock, apiStatuses, tokenCalls }
}

async function failureOf (promise: Promise<unknown>): Promise<DownstreamError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught)
  if (!(error instanceof DownstreamError)) throw new Error(`expected a DownstreamError, got ${String(error)}`)
  return error
}

t.test('50 concurrent calls with no token yet: one token request, every call served', async (t) => {
  const { client, tokenCalls, apiStatuses } = await setUp(t)
  const answers = await Promise.all(Array.from({ length: 50 }, async () => await client.getSmartCard('alice', card.idZdc, ctx)))
  t.ok(answers.every((answer) => answer?.smartCard.idZdc === card.idZdc), 'all 50 answered')
  t.equal(tokenCalls().length, 1, 'one token request reached the token server')
  t.equal(client.tokenRequests, 1)
  t.same(apiStatuses(), Array.from({ length: 50 }, () => 200), 'and no call was refused')
})

t.test('expiry mid-run: the token is renewed ahead of expires_in, and no call ever meets a 401', async (t) => {
  const { client, clock, tokenCalls, apiStatuses } = await setUp(t, { ttlSeconds: 100 })
  await client.getSmartCard('alice', card.idZdc, ctx)
  t.equal(tokenCalls().length, 1)

  clock.ms += 50_000
  await client.getSmartCard('alice', card.idZdc, ctx)
  t.equal(tokenCalls().length, 1, 'half-way through its life the token is simply used')

  clock.ms += 35_000 // 85 s: within the last fifth of its 100 s
  await client.getSmartCard('alice', card.idZdc, ctx)
  await t.resolves(async () => {
    // The early renewal runs beside the call; the next call sees its token.
    for (let i = 0; i < 100 && tokenCalls().length < 2; i++) await new Promise((resolve) => setImmediate(resolve))
  })
  t.equal(tokenCalls().length, 2, 'a renewal started before expiry, while the old token still served that call')

  clock.ms += 20_000 // 105 s: the first token has run out at the simulator
  for (let i = 0; i < 5; i++) await client.getSmartCard('alice', card.idZdc, ctx)
  clock.ms += 1_000_000 // long after the second one ran out too: the next call waits for a third
  await client.getSmartCard('alice', card.idZdc, ctx)
  t.equal(tokenCalls().length, 3)
  t.notOk(apiStatuses().includes(401), `no 401 at any point (${apiStatuses().join(', ')})`)
})

t.test('a 401 on a call (token revoked): one renewal, the call retried once, and it succeeds', async (t) => {
  const { simulator, client, tokenCalls } = await setUp(t)
  await client.getSmartCard('alice', card.idZdc, ctx)
  simulator.revokeTokens()
  simulator.clearCalls()
  t.match(await client.getSmartCard('alice', card.idZdc, ctx), { smartCard: { idZdc: card.idZdc } })
  t.same(simulator.listCalls().map((call) => `${call.operation} ${call.httpStatus}`), ['GetSmartCard 401', 'Token 200', 'GetSmartCard 200'])
  t.equal(tokenCalls().length, 1)
})

t.test('a 401 or 403 that persists: one renewal, one retry, then a doubtful fault (retried for a bounded time); never a loop', async (t) => {
  for (const status of [401, 403]) {
    const { simulator, client } = await setUp(t)
    await client.getSmartCard('alice', card.idZdc, ctx)
    simulator.clearCalls()
    simulator.scriptFault({ operation: 'OpposeSmartCard', httpStatus: status })
    const error = await failureOf(client.opposeSmartCard({ identifier: 'alice', idZdc: card.idZdc, uid: card.uid, reason: 'DP', cancelDate: '2026-11-28T08:00:00Z' }, ctx))
    t.match(error, { code: `HTTP_${status}`, httpStatus: status, transient: true, doubtful: true }, `${status}: an expired or refused credential is worth retrying, for DOUBTFUL_FAULT_MAX_MS`)
    t.same(simulator.listCalls().map((call) => `${call.operation} ${call.httpStatus}`), [`OpposeSmartCard ${status}`, 'Token 200', `OpposeSmartCard ${status}`], `${status}: exactly one renewal and one retry`)
  }
})

t.test('concurrent 401s renew the token once, not once per call', async (t) => {
  const { simulator, client, tokenCalls } = await setUp(t)
  await client.getSmartCard('alice', card.idZdc, ctx)
  simulator.revokeTokens()
  await Promise.all(Array.from({ length: 20 }, async () => await client.getSmartCard('alice', card.idZdc, ctx)))
  t.equal(tokenCalls().length, 2, 'the first token, and one renewal for all 20 refused calls')
})

t.test('the token server failing is a transient fault of the call (refusing the credentials: a doubtful one), named for what to fix; back, it serves again', async (t) => {
  const { simulator, client } = await setUp(t)
  const fault = simulator.scriptFault({ operation: 'Token', httpStatus: 503, retryAfterSeconds: 3 })
  const down = await failureOf(client.getSmartCard('alice', card.idZdc, ctx))
  t.match(down, { code: 'TOKEN_HTTP_503', transient: true, doubtful: false, outage: true, retryAfterMs: 3000 }, 'down: an outage, retried without bound, counted by the breaker')
  t.match(down.message, /token server answered HTTP_503/)
  t.equal(simulator.listCalls().filter((call) => call.operation === 'GetSmartCard').length, 0, 'no API call without a token')
  simulator.removeFault(fault.id)
  t.match(await client.getSmartCard('alice', card.idZdc, ctx), { smartCard: { idZdc: card.idZdc } }, 'the next call gets a token')

  const wrong = createIzlyRestClient({ ...restSettingsOf(simulator), clientSecret: 'not-the-secret', timeoutMs: 2000 })
  t.teardown(() => wrong.close())
  const refused = await failureOf(wrong.getSmartCard('alice', card.idZdc, ctx))
  t.match(refused, { code: 'TOKEN_HTTP_401', transient: true, doubtful: true }, 'credentials refused: retried for DOUBTFUL_FAULT_MAX_MS, then needs attention')
  t.match(refused.message, /IZLY_CLIENT_ID, IZLY_CLIENT_SECRET and IZLY_ACCESS_URL/)
  t.notMatch(refused.message, /not-the-secret/, 'the secret never reaches a message')
  await t.rejects(wrong.checkToken(), { code: 'TOKEN_HTTP_401' }, 'the start-up check says the same')
  t.match(await client.checkToken(), { lifetimeSeconds: 3600, tokenUrl: `${simulator.accessUrl}/api/oauth/token` })
})
