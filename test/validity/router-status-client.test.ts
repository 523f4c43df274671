import t, { type Test } from 'tap'
import { createRouterStatusClient, type RouterLookupOutcome, type RouterStatusClientOptions } from '../../src/validity/router-status-client.ts'
import { TtlCache } from '../../src/validity/ttl-cache.ts'
import { escnOf, type RouterStatusStub, startRouterStatusStub } from '../helpers/router-status-stub.ts'

function client (t: Test, stub: RouterStatusStub, overrides: Partial<RouterStatusClientOptions> = {}) {
  const outcomes: RouterLookupOutcome[] = []
  const router = createRouterStatusClient({
    baseUrl: stub.baseUrl,
    timeoutMs: 300,
    cacheSeconds: 60,
    negativeCacheSeconds: 30,
    cacheEntries: 100,
    breakerResetMs: 200,
    onLookup: (outcome) => outcomes.push(outcome),
    ...overrides,
  })
  t.teardown(async () => await router.close())
  return Object.assign(router, { outcomes })
}

t.test('a known card comes back with its status and issuer; the answer is cached', async (t) => {
  const stub = await startRouterStatusStub(t)
  const escn = escnOf(1)
  stub.put({ cardNumber: escn, status: 'ACTIVE', expiresAt: '2027-06-30', issuedAt: '2025-09-01', issuerIdentifier: 999859608, issuerName: 'Université de Test', displayName: 'Card of X' })
  const router = client(t, stub)
  t.same(await router.lookup(escn), { kind: 'known', card: { status: 'ACTIVE', expiresAt: '2027-06-30', issuerIdentifier: '999859608', issuerName: 'Université de Test' } },
    'only the fields a verifier needs; a numeric PIC becomes text')
  t.match(await router.lookup(escn), { kind: 'known' })
  t.same(stub.calls, [escn], 'asked once')
  t.same(router.outcomes, ['known', 'cache-hit'])
})

t.test('an unknown card (404) is an answer, cached for the shorter negative time', async (t) => {
  const stub = await startRouterStatusStub(t)
  let now = 1_000_000
  const router = client(t, stub, { negativeCacheSeconds: 30, now: () => now })
  const escn = escnOf(2)
  t.same(await router.lookup(escn), { kind: 'unknown' })
  t.same(await router.lookup(escn), { kind: 'unknown' })
  t.equal(stub.calls.length, 1)
  now += 31_000
  stub.put({ cardNumber: escn, status: 'ACTIVE' })
  t.match(await router.lookup(escn), { kind: 'known' }, 'asked again once the negative answer expired')
  t.equal(stub.calls.length, 2)
})

t.test('a router that is down, slow, broken or confused is "unavailable", never a guess, and never cached', async (t) => {
  const stub = await startRouterStatusStub(t)
  const escn = escnOf(3)
  stub.put({ cardNumber: escn, status: 'ACTIVE' })
  const cases: Array<[string, () => void, RegExp]> = [
    ['HTTP 503', () => { stub.outage = 503 }, /HTTP 503/],
    ['HTTP 500', () => { stub.outage = 500 }, /HTTP 500/],
    ['HTTP 403 (not on the allow-list)', () => { stub.outage = 403 }, /HTTP 403/],
    ['connection reset', () => { stub.outage = 'reset' }, /could not be reached/],
    ['slower than the timeout', () => { stub.latencyMs = 1000 }, /did not answer within 300 ms/],
    ['a body that is not JSON', () => { stub.rawBody = '<html>maintenance</html>' }, /not JSON/],
    ['a body without a status', () => { stub.rawBody = '{"cardNumber":"x"}' }, /without a card status/],
  ]
  for (const [name, breakIt, detail] of cases) {
    stub.outage = 'off'
    stub.latencyMs = 0
    stub.rawBody = undefined
    breakIt()
    // A fresh client per case, so that the breaker of one case does not answer for the next.
    const router = client(t, stub)
    const started = Date.now()
    const answer = await router.lookup(escn)
    t.match(answer, { kind: 'unavailable', retryAfterSeconds: Number, detail }, name)
    t.ok(Date.now() - started < 900, `${name}: answered within the timeout`)
    stub.outage = 'off'
    stub.latencyMs = 0
    stub.rawBody = undefined
    t.match(await router.lookup(escn), { kind: 'known' }, `${name}: not cached, asked again once the router is back`)
  }
})

t.test('repeated failures open the breaker: calls fail fast, then one trial call closes it again', async (t) => {
  const stub = await startRouterStatusStub(t)
  const router = client(t, stub, { breakerResetMs: 300 })
  stub.outage = 503
  for (let serial = 10; serial < 16; serial++) await router.lookup(escnOf(serial))
  const asked = stub.calls.length
  const started = Date.now()
  const answer = await router.lookup(escnOf(20))
  t.match(answer, { kind: 'unavailable', detail: /failed repeatedly/, retryAfterSeconds: 1 })
  t.equal(stub.calls.length, asked, 'the router is not called while the breaker is open')
  t.ok(Date.now() - started < 50, 'failing fast')

  stub.outage = 'off'
  stub.put({ cardNumber: escnOf(21), status: 'INACTIVE' })
  await new Promise((resolve) => setTimeout(resolve, 350))
  t.match(await router.lookup(escnOf(21)), { kind: 'known', card: { status: 'INACTIVE' } }, 'half-open: the trial call goes through')
  t.match(await router.lookup(escnOf(22)), { kind: 'unknown' }, 'closed again')
})

t.test('concurrent queries about one card share one call', async (t) => {
  const stub = await startRouterStatusStub(t)
  stub.latencyMs = 50
  stub.put({ cardNumber: escnOf(30), status: 'ACTIVE' })
  const router = client(t, stub)
  const answers = await Promise.all(Array.from({ length: 20 }, async () => await router.lookup(escnOf(30))))
  t.ok(answers.every((answer) => answer.kind === 'known'))
  t.equal(stub.calls.length, 1)
})

t.test('without a configured router every foreign lookup says so', async (t) => {
  const router = createRouterStatusClient({ baseUrl: undefined, timeoutMs: 100, cacheSeconds: 1, negativeCacheSeconds: 1, cacheEntries: 1 })
  t.match(await router.lookup(escnOf(40)), { kind: 'unavailable', detail: /no ESC Router is configured/ })
  await router.close()
})

t.test('the cache is bounded: the oldest entry goes first, and entries expire', async (t) => {
  let now = 0
  const cache = new TtlCache<number>(3, () => now)
  cache.set('a', 1, 1000)
  cache.set('b', 2, 1000)
  cache.set('c', 3, 1000)
  cache.set('a', 10, 1000)
  cache.set('d', 4, 1000)
  t.equal(cache.size, 3)
  t.equal(cache.get('b'), undefined, 'b was the oldest')
  t.equal(cache.get('a'), 10, 'writing a key again made it young')
  now = 1000
  t.equal(cache.get('c'), undefined, 'expired')
  cache.set('e', 5, 0)
  t.equal(cache.get('e'), undefined, 'a zero TTL stores nothing')
  t.throws(() => new TtlCache(0))
})
