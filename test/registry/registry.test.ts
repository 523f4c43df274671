import t from 'tap'
import { Redis } from 'ioredis'
import { RegistryUnavailableError } from '../../src/intake/intake-service.ts'
import { buildKeys } from '../../src/registry/keys.ts'
import { Registry } from '../../src/registry/registry.ts'
import { DOWNSTREAMS } from '../../src/domain/downstream.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { countKeys, TEST_PSEUDONYM_KEY, testRedis, testRegistry, uniquePrefix } from '../helpers/redis.ts'
import { freePort } from '../../src/app/local-redis.ts'
import { timelineEntry } from '../../src/registry/timeline.ts'

/** Every card of a downstream's dirty set (one sweep pass's worth). */
async function dirtyCards (registry: Registry, downstream: 'izly' | 'esc'): Promise<string[]> {
  const cards: string[] = []
  for await (const page of registry.scanDirty(downstream)) cards.push(...page)
  return cards.sort()
}

t.test('accept writes the event, the desired state, the timeline and the dirty mark together', async (t) => {
  const prefix = uniquePrefix()
  const redis = await testRedis(t, prefix)
  const registry = testRegistry(redis, prefix)
  const event = cardEvent({ state: 'ENABLED' })
  const result = await registry.accept(event, 'fp1')
  t.match(result, { status: 'accepted', version: 1, applied: true, cardId: event.card.id })
  const record = await registry.getCard(event.card.id)
  t.equal(record?.card.state, 'ENABLED')
  t.equal(record?.version, 1)
  t.same(await dirtyCards(registry, 'izly'), [event.card.id])
  const timeline = await registry.getTimeline(event.card.id)
  t.match(timeline, [{ type: 'event', eventId: event.eventId, applied: true, version: 1 }])
  t.notMatch(JSON.stringify(timeline), /Camille|Martin|camille|2004-05-06|0123456789A/, 'no personal data in the timeline')
})

t.test('same eventId: same body is a duplicate, another body a conflict, and neither changes anything', async (t) => {
  const prefix = uniquePrefix()
  const redis = await testRedis(t, prefix)
  const registry = testRegistry(redis, prefix)
  const event = cardEvent({ state: 'ENABLED' })
  await registry.accept(event, 'fp1')
  const before = await redis.hgetall(buildKeys(prefix, TEST_PSEUDONYM_KEY).card(event.card.id))
  t.same(await registry.accept(event, 'fp1'), { status: 'duplicate', eventId: event.eventId, cardId: event.card.id })
  t.same(await registry.accept({ ...event, card: { ...event.card, state: 'DISABLED' } }, 'fp2'), { status: 'conflict', eventId: event.eventId })
  t.same(await redis.hgetall(buildKeys(prefix, TEST_PSEUDONYM_KEY).card(event.card.id)), before)
  t.equal((await registry.getTimeline(event.card.id)).length, 1)
})

t.test('a late event is recorded in the history but does not roll the card back', async (t) => {
  const prefix = uniquePrefix()
  const redis = await testRedis(t, prefix)
  const registry = testRegistry(redis, prefix)
  const disabled = cardEvent({ cardId: 'late-1', state: 'DISABLED', disableReason: 'LOST', occurredAt: '2026-11-01T12:00:00Z' })
  const enabled = cardEvent({ cardId: 'late-1', state: 'ENABLED', occurredAt: '2026-11-01T11:00:00Z' })
  await registry.accept(disabled, 'a')
  t.match(await registry.accept(enabled, 'b'), { status: 'accepted', applied: false, version: 1 })
  t.equal((await registry.getCard('late-1'))?.card.state, 'DISABLED')
  t.match(await registry.getTimeline('late-1'), [{ applied: true }, { applied: false, eventId: enabled.eventId }])
})

t.test('concurrent events for one card all land, and the latest occurredAt wins', async (t) => {
  const prefix = uniquePrefix()
  const redis = await testRedis(t, prefix)
  const registry = testRegistry(redis, prefix)
  const base = Date.parse('2026-11-01T00:00:00Z')
  const events = Array.from({ length: 40 }, (_, i) => cardEvent({
    cardId: 'race-1', state: i % 2 === 0 ? 'ENABLED' : 'DISABLED', occurredAt: new Date(base + i * 1000).toISOString(),
  }))
  const shuffled = [...events].sort(() => Math.random() - 0.5)
  const results = await Promise.all(shuffled.map(async (event, i) => await registry.accept(event, `fp${i}`)))
  t.equal(results.filter((r) => r.status === 'accepted').length, 40)
  const record = await registry.getCard('race-1')
  t.equal(record?.card.state, 'DISABLED', 'the event with the latest occurredAt decides')
  t.equal(record?.occurredAt, events[39]?.occurredAt)
  t.equal((await registry.getTimeline('race-1')).length, 40, 'every event is in the history')
})

t.test('Redis unreachable: RegistryUnavailableError, nothing written', async (t) => {
  const port = await freePort()
  const redis = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => null })
  t.teardown(() => redis.disconnect())
  const registry = new Registry({ redis, keys: buildKeys('unreachable', TEST_PSEUDONYM_KEY), downstreams: DOWNSTREAMS })
  await t.rejects(registry.accept(cardEvent(), 'fp'), RegistryUnavailableError)
})

t.test('leases exclude a second holder and are released only by their owner', async (t) => {
  const prefix = uniquePrefix()
  const redis = await testRedis(t, prefix)
  const registry = testRegistry(redis, prefix)
  const token = await registry.acquireLease('izly', 'c', 10_000)
  t.type(token, 'string')
  t.equal(await registry.acquireLease('izly', 'c', 10_000), null)
  await registry.releaseLease('izly', 'c', 'not-the-owner')
  t.equal(await registry.acquireLease('izly', 'c', 10_000), null)
  await registry.releaseLease('izly', 'c', token as string)
  t.type(await registry.acquireLease('izly', 'c', 10_000), 'string')
  t.ok(await countKeys(redis, prefix) > 0)
})

t.test('a card can be found by its CSN, its Izly number and its ESCN, as soon as its event is accepted', async (t) => {
  const prefix = uniquePrefix()
  const redis = await testRedis(t, prefix)
  const registry = testRegistry(redis, prefix)
  const event = cardEvent({ state: 'ENABLED', occurredAt: '2026-11-01T10:00:00Z' })
  event.card.escn = '7d3c2a10-1f2e-11ee-8c90-000000012345'
  await registry.accept(event, 'a')
  t.equal((await registry.findCard('csn', event.card.csn as string))?.card.id, event.card.id)
  t.equal((await registry.findCard('idZdc', event.card.crous?.idZdc as string))?.card.id, event.card.id)
  t.equal((await registry.findCard('escn', event.card.escn))?.card.id, event.card.id)
  t.equal(await registry.findCard('csn', 'FFFFFFFFFFFFFF'), undefined)

  // Re-encoded chip: the old CSN no longer leads to the card.
  const reencoded = cardEvent({ cardId: event.card.id, state: 'ENABLED', occurredAt: '2026-11-01T11:00:00Z' })
  reencoded.card.csn = 'ABCDEF01234567'
  await registry.accept(reencoded, 'b')
  t.equal(await registry.findCard('csn', event.card.csn as string), undefined, 'stale index entry reads as unknown')
  t.equal((await registry.findCard('csn', 'ABCDEF01234567'))?.card.id, event.card.id)
})

t.test('a holder\'s cards are found by eppn, written by the same intake script', async (t) => {
  const prefix = uniquePrefix()
  const redis = await testRedis(t, prefix)
  const registry = testRegistry(redis, prefix)
  const first = cardEvent({ state: 'ENABLED', eppn: 'holder-1@univ-rouen.fr' })
  const second = cardEvent({ state: 'DISABLED', eppn: 'holder-1@univ-rouen.fr' })
  await registry.accept(first, 'a')
  await registry.accept(second, 'b')
  await registry.accept(cardEvent({ eppn: 'someone-else@univ-rouen.fr' }), 'c')
  const cards = await registry.listHolderCards('holder-1@univ-rouen.fr')
  t.same(cards.map((record) => record.card.id).sort(), [first.card.id, second.card.id].sort())
  t.same(await registry.listHolderCards('nobody@univ-rouen.fr'), [])

  // A card handed to another holder no longer counts as the first one's.
  await registry.accept(cardEvent({ cardId: second.card.id, eppn: 'holder-2@univ-rouen.fr', occurredAt: new Date(Date.now() + 1000).toISOString() }), 'd')
  t.same((await registry.listHolderCards('holder-1@univ-rouen.fr')).map((record) => record.card.id), [first.card.id])
})

t.test('confirm records the remote holder key, clears it, or leaves it alone', async (t) => {
  const prefix = uniquePrefix()
  const redis = await testRedis(t, prefix)
  const registry = testRegistry(redis, prefix)
  const cardId = 'remote-holder-1'
  for (let version = 1; version <= 3; version++) await registry.accept(cardEvent({ cardId, occurredAt: new Date(Date.now() + version).toISOString() }), `fp${version}`)
  const confirm = async (version: number, remoteHolder: string | null | undefined): Promise<void> => {
    const lease = await registry.acquireLease('esc', cardId, 10_000) as string
    await registry.confirm({ downstream: 'esc', cardId, leaseToken: lease, version, remoteState: 'active', outcome: 'registered', entry: timelineEntry('sync', {}), ...(remoteHolder === undefined ? {} : { remoteHolder }) })
    await registry.releaseLease('esc', cardId, lease)
  }
  await confirm(1, 'urn:schac:personalUniqueCode:int:esi:fr:1')
  t.equal((await registry.getSync('esc', cardId)).remoteHolder, 'urn:schac:personalUniqueCode:int:esi:fr:1')
  await confirm(2, undefined)
  t.equal((await registry.getSync('esc', cardId)).remoteHolder, 'urn:schac:personalUniqueCode:int:esi:fr:1', 'undefined leaves it')
  await confirm(3, null)
  t.notOk('remoteHolder' in await registry.getSync('esc', cardId), 'null clears it')
})

t.test('a holder lease excludes a second holder of the same downstream only', async (t) => {
  const prefix = uniquePrefix()
  const redis = await testRedis(t, prefix)
  const registry = testRegistry(redis, prefix)
  const token = await registry.acquireHolderLease('esc', 'h@univ-rouen.fr', 10_000)
  t.type(token, 'string')
  t.equal(await registry.acquireHolderLease('esc', 'h@univ-rouen.fr', 10_000), null)
  t.type(await registry.acquireHolderLease('izly', 'h@univ-rouen.fr', 10_000), 'string')
  t.type(await registry.acquireLease('esc', 'h@univ-rouen.fr', 10_000), 'string', 'nor does it collide with a card lease')
  await registry.releaseHolderLease('esc', 'h@univ-rouen.fr', token as string)
  t.type(await registry.acquireHolderLease('esc', 'h@univ-rouen.fr', 10_000), 'string')
})

t.test('standing tells the worker, its recheck and the sweeper where a downstream stands with a card', async (t) => {
  const prefix = uniquePrefix()
  const redis = await testRedis(t, prefix)
  const registry = testRegistry(redis, prefix)
  const cardId = 'standing-1'
  t.same(await registry.standing('izly', cardId), { status: 'no-card' })
  await registry.accept(cardEvent({ cardId, occurredAt: new Date(Date.now()).toISOString() }), 'fp1')
  t.match(await registry.standing('izly', cardId), { status: 'behind', record: { version: 1 }, confirmed: { confirmedVersion: 0 }, attention: undefined })

  const attention = { downstream: 'izly' as const, cardId, version: 1, lane: 'enable', code: '-42', message: 'x', correlationId: 'e', at: new Date().toISOString() }
  await registry.markAttention(attention)
  t.same(await registry.standing('izly', cardId), { status: 'needs-attention' })
  t.same(await registry.countAttention(), new Map([['izly', 1], ['esc', 0]]))
  t.same(await dirtyCards(registry, 'izly'), [], 'a card waiting for an operator is out of the sweeper\'s scan')
  t.same(await dirtyCards(registry, 'esc'), [cardId], 'on that downstream only')

  await registry.accept(cardEvent({ cardId, occurredAt: new Date(Date.now() + 1000).toISOString() }), 'fp2')
  t.match(await registry.standing('izly', cardId), { status: 'behind', record: { version: 2 }, attention: { version: 1 } }, 'a newer version is worked on again')
  t.same(await dirtyCards(registry, 'izly'), [cardId], 'and is dirty again')

  const lease = await registry.acquireLease('izly', cardId, 10_000) as string
  await registry.confirm({ downstream: 'izly', cardId, leaseToken: lease, version: 2, remoteState: 'active', outcome: 'registered', entry: timelineEntry('sync', {}) })
  t.same(await registry.standing('izly', cardId), { status: 'in-line' })
  t.match(await registry.standing('esc', cardId), { status: 'behind' }, 'each downstream stands on its own')
})

t.test('reopen takes back the confirmation of the current version and marks the card dirty', async (t) => {
  const prefix = uniquePrefix()
  const redis = await testRedis(t, prefix)
  const registry = testRegistry(redis, prefix)
  const event = cardEvent({ state: 'DISABLED' })
  await registry.accept(event, 'a')
  const lease = await registry.acquireLease('izly', event.card.id, 10_000) as string
  await registry.confirm({ downstream: 'izly', cardId: event.card.id, leaseToken: lease, version: 1, remoteState: 'opposed', outcome: 'opposed', entry: { at: new Date().toISOString(), type: 'sync' } })
  t.match(await registry.standing('izly', event.card.id), { status: 'in-line' })
  t.same(await dirtyCards(registry, 'izly'), [])
  await registry.reopen('izly', event.card.id)
  t.match(await registry.standing('izly', event.card.id), { status: 'behind' })
  t.same(await dirtyCards(registry, 'izly'), [event.card.id])
})
