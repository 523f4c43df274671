import t from 'tap'
import { buildKeys } from '../../src/registry/keys.ts'
import { timelineEntry } from '../../src/registry/timeline.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { TEST_PSEUDONYM_KEY, testRedis, testRegistry, uniquePrefix } from '../helpers/redis.ts'

// The sync worker's per-job scripts: the first look (lease + standing + breaker fields), the confirmation
// carrying the run's call lines and releasing the lease, the fault line carrying them.

t.test('leaseAndStanding takes the lease and reads the standing and the breaker fields, or nothing when the lease is held', async (t) => {
  const prefix = uniquePrefix()
  const redis = await testRedis(t, prefix)
  const registry = testRegistry(redis, prefix)
  const keys = buildKeys(prefix, TEST_PSEUDONYM_KEY)
  const event = cardEvent({ state: 'DISABLED' })
  await registry.accept(event, 'a')
  await redis.hset(keys.breaker('izly'), { failures: '2', suspectSince: '123' })
  const also = { key: keys.breaker('izly'), fields: ['openUntil', 'failures', 'suspectSince'] }

  const first = await registry.leaseAndStanding('izly', event.card.id, 10_000, also)
  t.ok(first, 'the lease was free')
  t.match(first?.standing, { status: 'behind', record: { version: 1 }, confirmed: { confirmedVersion: 0 }, attention: undefined })
  t.same(first?.also, [null, '2', '123'])
  t.equal(await redis.get(keys.lease('izly', event.card.id)), first?.lease, 'the lease is held under the returned token')
  t.ok(await redis.pttl(keys.lease('izly', event.card.id)) > 0, 'and lapses on its own')

  t.equal(await registry.leaseAndStanding('izly', event.card.id, 10_000, also), null, 'held: nothing taken, nothing read')
  t.equal(await registry.acquireLease('izly', event.card.id, 10_000), null, 'the one lease as acquireLease takes it')

  const lease = first?.lease as string
  await registry.confirm({ downstream: 'izly', cardId: event.card.id, leaseToken: lease, version: 1, remoteState: 'opposed', outcome: 'opposed', entry: timelineEntry('sync', {}) })
  await registry.releaseLease('izly', event.card.id, lease)
  const again = await registry.leaseAndStanding('izly', event.card.id, 10_000, also)
  t.same(again?.standing, { status: 'in-line' }, 'the same standing as standing() reads')
  t.same(await registry.standing('izly', 'no-such-card'), { status: 'no-card' })
})

t.test('confirm records the run\'s call lines before its sync line, and releases the lease only when asked and done', async (t) => {
  const prefix = uniquePrefix()
  const redis = await testRedis(t, prefix)
  const registry = testRegistry(redis, prefix)
  const keys = buildKeys(prefix, TEST_PSEUDONYM_KEY)
  const event = cardEvent({ state: 'DISABLED' })
  const cardId = event.card.id
  await registry.accept(event, 'a')
  const calls = [timelineEntry('call', { operation: 'OpposeSmartCard', holderKey: 1 }), timelineEntry('call', { operation: 'OpposeSmartCard', holderKey: 2 })]

  const lease = await registry.acquireLease('izly', cardId, 10_000) as string
  t.equal(await registry.confirm({ downstream: 'izly', cardId, leaseToken: 'not-mine', version: 1, remoteState: 'opposed', outcome: 'opposed', entry: timelineEntry('sync', {}), calls, releaseWhenDone: true }), -1, 'lease not held')
  t.same(await redis.lrange(keys.activity('izly', cardId), 0, -1), [], 'a refused confirmation writes no line (the caller records them with its fault)')
  t.equal(await redis.get(keys.lease('izly', cardId)), lease, 'nor releases anything')

  t.equal(await registry.confirm({ downstream: 'izly', cardId, leaseToken: lease, version: 1, remoteState: 'opposed', outcome: 'opposed', entry: timelineEntry('sync', { outcome: 'opposed' }), calls, releaseWhenDone: false }), 1)
  t.match((await registry.getTimeline(cardId)).filter((line) => line.type !== 'event'), [{ type: 'call', holderKey: 1 }, { type: 'call', holderKey: 2 }, { type: 'sync', outcome: 'opposed' }])
  t.equal(await redis.get(keys.lease('izly', cardId)), lease, 'not asked: the lease stays')

  await registry.accept(cardEvent({ cardId, state: 'ENABLED', occurredAt: new Date(Date.parse(event.occurredAt) + 1000).toISOString() }), 'b')
  t.equal(await registry.confirm({ downstream: 'izly', cardId, leaseToken: lease, version: 1, remoteState: 'opposed', outcome: 'opposed', entry: timelineEntry('sync', {}), releaseWhenDone: true }), 2, 'the desired state moved on')
  t.equal(await redis.get(keys.lease('izly', cardId)), lease, 'another round comes: the lease stays')
  t.equal(await registry.confirm({ downstream: 'izly', cardId, leaseToken: lease, version: 2, remoteState: 'active', outcome: 'revalidated', entry: timelineEntry('sync', {}), releaseWhenDone: true }), 2)
  t.equal(await redis.get(keys.lease('izly', cardId)), null, 'done and asked: released in the same script')
})

t.test('recordFault appends the run\'s call lines with its fault line, and coalesces a repeated run without them', async (t) => {
  const prefix = uniquePrefix()
  const redis = await testRedis(t, prefix)
  const registry = testRegistry(redis, prefix)
  const keys = buildKeys(prefix, TEST_PSEUDONYM_KEY)
  const cardId = 'fault-1'
  const call = (result: string): ReturnType<typeof timelineEntry> => timelineEntry('call', { operation: 'OpposeSmartCard', result })
  const fault = (attempt: number): ReturnType<typeof timelineEntry> => timelineEntry('fault', { code: '503', attempt })

  t.match(await registry.recordFault('izly', cardId, fault(1), 'sig-a', [call('x')]), { count: 1 })
  t.match(await registry.recordFault('izly', cardId, fault(2), 'sig-a', [call('x')]), { count: 2 }, 'same run again: counted')
  t.match(await registry.recordFault('izly', cardId, fault(3), 'sig-b', [call('y'), call('z')]), { count: 1 }, 'another run: its own lines')
  t.match(await registry.recordFault('izly', cardId, fault(4), 'sig-b', []), { count: 2 })
  const lines = (await redis.lrange(keys.activity('izly', cardId), 0, -1)).map((line) => JSON.parse(line) as Record<string, unknown>)
  t.match(lines, [
    { type: 'call', result: 'x' },
    { type: 'fault', signature: 'sig-a', count: 2, attempt: 2 },
    { type: 'call', result: 'y' },
    { type: 'call', result: 'z' },
    { type: 'fault', signature: 'sig-b', count: 2, attempt: 4 },
  ])
  t.equal(lines.length, 5)
})
