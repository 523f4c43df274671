// Rows of the README's failure table that had no test: SIGTERM with a call in flight, a batch cut short
// by a real Redis, Retry-After reaching the back-off, and a disabled card without CROUS data. (A lease
// lapsing mid-call is test/queue/sync-worker.test.ts.)
import { Redis } from 'ioredis'
import t from 'tap'
import { cardEvent } from '../fixtures/card-events.ts'
import { startChildGateway } from '../helpers/child-gateway.ts'
import { startTestGateway, testEnv } from '../helpers/gateway.ts'
import { callsFor, izlyCard, seedCard, testIzly } from '../helpers/izly.ts'
import { privateRedis } from '../helpers/private-redis.ts'
import { uniquePrefix } from '../helpers/redis.ts'
import { driveToRest } from '../helpers/rest.ts'
import { waitFor } from '../helpers/wait.ts'

t.test('SIGTERM with an Izly call in flight: the call finishes and is confirmed, the rest stays queued for the next worker', async (t) => {
  const izly = await testIzly(t)
  const prefix = uniquePrefix()
  const api = await startTestGateway(t, { izlyEndpoint: izly.url, prefix, role: 'api' })
  const cards = Array.from({ length: 3 }, () => {
    const enabled = cardEvent({ state: 'ENABLED' })
    seedCard(izly, enabled)
    return enabled
  })
  const worker = await startChildGateway(t, testEnv({ izlyEndpoint: izly.url, prefix, role: 'worker', extra: { OPPOSE_CONCURRENCY: '1' } }))
  await waitFor('the worker process to connect', async () => (await api.queues.queue('izly', 'oppose').getWorkers()).length > 0, 20_000)

  izly.setLatency(1500)
  for (const enabled of cards) await api.post(cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'LOST' }))
  await waitFor('a call in flight at Izly', () => izly.concurrentCalls === 1)
  worker.process.kill('SIGTERM')
  t.same(await worker.exited, { code: 0, signal: null }, 'it drains and exits cleanly')
  const opposed = cards.filter((enabled) => izlyCard(izly, enabled.card.crous?.idZdc as string)?.opposed === true)
  t.equal(opposed.length, 1, 'the call in flight finished')
  const view = await api.admin('GET', `/admin/v1/cards/${opposed[0]?.card.id ?? ''}`)
  t.match(view.body.downstreams.izly, { inLine: true, remoteState: 'opposed' }, 'and was confirmed before the exit')
  const waiting = await api.queues.queue('izly', 'oppose').getJobCounts('wait', 'active', 'delayed')
  t.equal((waiting.wait ?? 0) + (waiting.delayed ?? 0), 2, 'the others are still queued, untouched')

  izly.setLatency(0)
  await startTestGateway(t, { izlyEndpoint: izly.url, prefix, role: 'worker', cleanup: false })
  await waitFor('the next worker finishes them', () => cards.every((enabled) => izlyCard(izly, enabled.card.crous?.idZdc as string)?.opposed === true))
  await driveToRest(api)
  t.ok(cards.every((enabled) => callsFor(izly, 'OpposeSmartCard', enabled.card.crous?.idZdc as string).length === 1), 'each card opposed by one call')
})

t.test('a batch cut short by a real Redis (full, noeviction): the events stored are accepted, the rest unavailable, and a resend completes it', async (t) => {
  const redis = await privateRedis(t)
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, redisUrl: redis.url, role: 'api', cleanup: false })
  const admin = new Redis(redis.url)
  t.teardown(() => admin.disconnect())
  t.equal((await gateway.post(cardEvent({ state: 'ENABLED' }))).status, 202)
  const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1])
  // Room for a few dozen events, not for a thousand: Redis refuses writes part-way through the batch.
  await admin.config('SET', 'maxmemory', String(used + 200_000))
  const events = Array.from({ length: 1000 }, () => cardEvent({ state: 'ENABLED' }))
  const answer = await gateway.postBatch(events)
  t.equal(answer.status, 202, 'some were stored: a per-event answer')
  const results = answer.body.results as Array<{ eventId: string, status: string }>
  const accepted = results.filter((result) => result.status === 'accepted').map((result) => result.eventId)
  const unavailable = results.filter((result) => result.status === 'unavailable').map((result) => result.eventId)
  t.ok(accepted.length > 0 && unavailable.length > 0 && accepted.length + unavailable.length === events.length, `${accepted.length} accepted, ${unavailable.length} unavailable`)
  const stored = await Promise.all(events.map(async (event) => await admin.exists(`${gateway.prefix}:event:${event.eventId}`) === 1))
  t.same(events.filter((_event, index) => stored[index]).map((event) => event.eventId).sort(), [...accepted].sort(), 'exactly the accepted events are stored, nothing half-written')

  await admin.config('SET', 'maxmemory', '0')
  const resent = (await gateway.postBatch(events)).body.results as Array<{ eventId: string, status: string }>
  const statuses = new Map(resent.map((result) => [result.eventId, result.status]))
  t.ok(accepted.every((eventId) => statuses.get(eventId) === 'duplicate') && unavailable.every((eventId) => statuses.get(eventId) === 'accepted'), 'the resend stores the rest, the others are duplicates')
})

t.test('a Retry-After from Izly reaches the back-off: the next attempt waits at least that long', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url })
  const enabled = cardEvent({ state: 'ENABLED' })
  seedCard(izly, enabled)
  const idZdc = enabled.card.crous?.idZdc as string
  izly.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 503, retryAfterSeconds: 2, idZdc, times: 1 })
  await gateway.post(cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'THEFT' }))
  await waitFor('the opposition', () => izlyCard(izly, idZdc)?.opposed === true)
  const [refused, accepted] = izly.calls.filter((call) => call.operation === 'OpposeSmartCard' && call.idZdc === idZdc)
  t.equal(refused?.httpStatus, 503)
  t.ok(refused !== undefined && accepted !== undefined && accepted.at - refused.at >= 1900, `the retry came ${(accepted?.at ?? 0) - (refused?.at ?? 0)} ms later: Retry-After 2 s, not the 50-400 ms back-off`)
})

t.test('a disabled card whose CROUS data never came: nothing to oppose, recorded as such, no call made', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url })
  const disabled = cardEvent({ state: 'DISABLED', disableReason: 'LOST', withCrous: false })
  await gateway.post(disabled)
  await driveToRest(gateway)
  const view = await gateway.admin('GET', `/admin/v1/cards/${disabled.card.id}`)
  t.match(view.body.downstreams.izly, { inLine: true, outcome: 'nothing-to-oppose-no-crous-data', needsAttention: null })
  t.same(izly.calls, [], 'Izly was not called')
})
