// Retention with the clock moved (an injected clock, no sleeps): idempotency records expire, old
// timeline lines go from cards in line while a card with pending work keeps its whole history, and an
// ended card confirmed everywhere loses its personal data after ENDED_CARD_RETENTION_DAYS while one
// still waiting for an operator keeps everything.
import t from 'tap'
import { createLogger } from '../../src/observability/logger.ts'
import { CardEraser } from '../../src/retention/card-eraser.ts'
import { createRetentionPass } from '../../src/retention/retention-pass.ts'
import { buildKeys } from '../../src/registry/keys.ts'
import { Registry } from '../../src/registry/registry.ts'
import { DOWNSTREAMS } from '../../src/domain/downstream.ts'
import { startTestGateway, TEST_PSEUDONYM_KEY } from '../helpers/gateway.ts'
import { testIzly } from '../helpers/izly.ts'
import { testRedis, uniquePrefix } from '../helpers/redis.ts'
import { driveToRest } from '../helpers/rest.ts'
import { waitFor } from '../helpers/wait.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { loadConfig } from '../../src/config/load.ts'

const DAY_MS = 86_400_000

// Each full pass scans the whole shared test Redis (every other test's keys too): slow on a busy machine.
t.setTimeout(300_000)

function at (minutes: number): string {
  return new Date(Date.now() - 3_600_000 + minutes * 60_000).toISOString()
}

t.test('an idempotency record expires IDEMPOTENCY_RETENTION_DAYS after its event was accepted', async (t) => {
  const prefix = uniquePrefix()
  const redis = await testRedis(t, prefix)
  const keys = buildKeys(prefix, TEST_PSEUDONYM_KEY)
  const today = new Registry({ redis, keys, downstreams: DOWNSTREAMS })
  const event = cardEvent()
  t.equal((await today.accept(event, 'f1')).status, 'accepted')
  const ttl = await redis.pttl(keys.event(event.eventId))
  t.ok(ttl > 89 * DAY_MS && ttl <= 90 * DAY_MS, `kept 90 days by default (${Math.round(ttl / DAY_MS)} days left)`)
  t.equal((await today.accept(event, 'f1')).status, 'duplicate', 'a resend within the window is a duplicate')

  // Accepted 91 days ago by the registry's clock: its record is gone now, the card is not.
  const past = new Registry({ redis, keys, downstreams: DOWNSTREAMS, now: () => Date.now() - 91 * DAY_MS })
  const old = cardEvent()
  t.equal((await past.accept(old, 'f2')).status, 'accepted')
  t.equal(await redis.exists(keys.event(old.eventId)), 0, 'the expired record is gone')
  t.ok(await today.getCard(old.card.id), 'the card stays')

  const shorter = new Registry({ redis, keys, downstreams: DOWNSTREAMS, idempotencyMs: 2 * DAY_MS })
  const brief = cardEvent()
  await shorter.accept(brief, 'f3')
  t.ok(await redis.pttl(keys.event(brief.eventId)) <= 2 * DAY_MS, 'the window is the configured one')
  t.equal(loadConfig({ SIMULATORS: 'on', IDEMPOTENCY_RETENTION_DAYS: '120' }).retention.idempotencyDays, 120)
  t.throws(() => loadConfig({ SIMULATORS: 'on', IDEMPOTENCY_RETENTION_DAYS: '0' }), /IDEMPOTENCY_RETENTION_DAYS/)
  t.match(loadConfig({ SIMULATORS: 'on' }).retention, { idempotencyDays: 90, timelineDays: 180, endedCardDays: 395 })
})

t.test('with the clock moved, old history and ended cards go; pending work keeps everything', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url })
  const redis = await testRedis(t, gateway.prefix)
  const keys = gateway.registry.keys

  // In line, active: two events (its data changed), calls and confirmations.
  const active = cardEvent({ state: 'ENABLED', occurredAt: at(0) })
  // Ended and confirmed everywhere.
  const endedFirst = cardEvent({ state: 'ENABLED', occurredAt: at(0) })
  // Ended, but its opposition waits for an operator.
  const stuckFirst = cardEvent({ state: 'ENABLED', occurredAt: at(0) })
  for (const event of [active, endedFirst, stuckFirst]) t.equal((await gateway.post(event)).status, 202)
  await driveToRest(gateway)
  t.equal((await gateway.post(cardEvent({ cardId: active.card.id, eppn: active.holder.eppn, state: 'ENABLED', occurredAt: at(1) }))).status, 202)
  t.equal((await gateway.post(cardEvent({ cardId: endedFirst.card.id, eppn: endedFirst.holder.eppn, state: 'CADUC', occurredAt: at(1) }))).status, 202)
  await driveToRest(gateway)
  izly.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 422, code: '-99', message: 'refused', times: 1 })
  t.equal((await gateway.post(cardEvent({ cardId: stuckFirst.card.id, eppn: stuckFirst.holder.eppn, state: 'CADUC', occurredAt: at(1) }))).status, 202)
  await waitFor('the opposition waiting for attention', async () => (await gateway.admin('GET', '/admin/v1/attention')).body.count === 1)

  const lines = async (cardId: string): Promise<{ events: number, activity: number }> => ({
    events: await redis.llen(keys.timeline(cardId)),
    activity: await redis.llen(keys.activity('izly', cardId)),
  })
  const stuckBefore = await lines(stuckFirst.card.id)
  t.match(await lines(active.card.id), { events: 2 }, 'two events before')
  t.ok(stuckBefore.activity > 0 && stuckBefore.events === 2, 'the stuck card has its events and its fault')

  let clock = Date.now()
  const retention = createRetentionPass({
    redis,
    registry: gateway.registry,
    eraser: new CardEraser({ redis, keys, downstreams: gateway.queues.downstreams, queues: gateway.queues }),
    prefix: gateway.prefix,
    downstreams: gateway.queues.downstreams,
    logger: createLogger('silent'),
    timelineDays: 180,
    endedCardDays: 395,
    now: () => clock,
  })

  const today = await retention.fullPass()
  t.match(today, { linesDropped: 0, erased: 0, passEnded: true }, 'today nothing is old')

  clock = Date.now() + 200 * DAY_MS
  const later = await retention.fullPass()
  t.ok(later.linesDropped > 0, `200 days on: ${later.linesDropped} old lines dropped`)
  t.same(await lines(active.card.id), { events: 1, activity: 0 }, 'an in-line card keeps the event that set its state')
  t.same(await lines(endedFirst.card.id), { events: 1, activity: 0 }, 'so does the ended one')
  t.same(await lines(stuckFirst.card.id), stuckBefore, 'the card with pending work keeps its whole history')
  t.equal(later.erased, 0, 'not yet 13 months: no card erased')
  t.ok(await gateway.registry.getCard(endedFirst.card.id))

  clock = Date.now() + 400 * DAY_MS
  const muchLater = await retention.fullPass()
  t.equal(muchLater.erased, 1, '400 days on: the ended card confirmed everywhere is erased')
  t.equal(await gateway.registry.getCard(endedFirst.card.id), undefined, 'its record is gone')
  t.equal(await redis.exists(keys.holderCards(endedFirst.holder.eppn)), 0, 'so is its holder\'s set')
  t.equal(await redis.exists(keys.index('csn', endedFirst.card.csn as string)), 0, 'and its index')
  t.match(await redis.hgetall(`${gateway.prefix}:erased:${endedFirst.card.id}`), { state: 'CADUC', version: '2', erasedFor: 'retention', 'izly.confirmedVersion': '2', 'izly.remoteState': 'opposed' }, 'its counters stay')
  t.ok(await gateway.registry.getCard(stuckFirst.card.id), 'the ended card still waiting for attention keeps its data')
  t.same(await lines(stuckFirst.card.id), stuckBefore, 'and its history')
  t.ok(await gateway.registry.getCard(active.card.id), 'an active card is never erased')
  t.equal((await gateway.admin('GET', '/admin/v1/attention')).body.count, 1, 'the pending work is still there')

  // Once replayed and confirmed, the stuck card goes at the next pass.
  t.equal((await gateway.admin('POST', `/admin/v1/attention/izly/${encodeURIComponent(stuckFirst.card.id)}/replay`)).status, 202)
  await driveToRest(gateway)
  t.equal((await retention.fullPass()).erased, 1, 'drained: erased too')
  t.equal(await gateway.registry.getCard(stuckFirst.card.id), undefined)
})

t.test('the sweep\'s steps walk every card in bounded pages, the cursor kept in Redis', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, role: 'api' })
  const redis = await testRedis(t, gateway.prefix)
  const keys = gateway.registry.keys
  const events = Array.from({ length: 30 }, () => cardEvent({ state: 'CADUC', occurredAt: at(0) }))
  t.equal((await gateway.postBatch(events)).status, 202)
  // Confirmed everywhere as the sync would: the retention pass only reads the sync records.
  for (const event of events) await redis.hset(keys.sync('izly', event.card.id), 'confirmedVersion', 1)
  const retention = createRetentionPass({
    redis,
    registry: gateway.registry,
    eraser: new CardEraser({ redis, keys, downstreams: gateway.queues.downstreams, queues: gateway.queues }),
    prefix: gateway.prefix,
    downstreams: gateway.queues.downstreams,
    logger: createLogger('silent'),
    timelineDays: 180,
    endedCardDays: 395,
    now: () => Date.now() + 400 * DAY_MS,
    // The tests' Redis is shared and holds however many other keys: pages sized from its size make a
    // pass of about twenty steps, whatever else is there (each step still reads at most its two pages).
    scanCount: Math.max(10, Math.ceil(await redis.dbsize() / 40)),
    pagesPerStep: 2,
  })
  let erased = 0
  let steps = 0
  let mostPages = 0
  for (;;) {
    const step = await retention.step()
    steps++
    erased += step.erased
    mostPages = Math.max(mostPages, step.pages)
    if (step.passEnded) break
  }
  t.ok(mostPages <= 2, `a step reads at most its pages (most: ${mostPages})`)
  t.ok(steps > 1, `${steps} steps made one pass over the shared Redis`)
  t.equal(await redis.get(`${gateway.prefix}:retention:cursor`), '0', 'the cursor is back at the start')
  t.equal(erased, 30, 'every ended card was reached')
})

t.test('the scheduled sweep runs the retention steps', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url })
  const redis = await testRedis(t, gateway.prefix)
  t.ok(gateway.retention, 'a process with workers has a retention pass')
  await waitFor('a sweep to have run a retention step', async () => await redis.exists(`${gateway.prefix}:retention:cursor`) === 1)
  const sweeps = await redis.keys(`${gateway.prefix}:bull:sweep:*`)
  t.ok(sweeps.length > 0, 'through the sweep scheduler')
})
