// DELETE /admin/v1/holders/{eppn}: after it, a scan of every key under the gateway's prefix (every type,
// the card registry and every BullMQ key included) finds none of the holder's values, nor the keyed
// hashes that named them; refused while a card is active or an opposition of theirs is pending.
import t from 'tap'
import { pseudonymiser } from '../../src/domain/pseudonym.ts'
import { captureLogger } from '../helpers/capture-log.ts'
import { escCard, escCardEvent, testEsc } from '../helpers/esc.ts'
import { startTestGateway, TEST_ADMIN_TOKEN, TEST_PSEUDONYM_KEY, type TestGateway } from '../helpers/gateway.ts'
import { findNeedles, scanEveryKey } from '../helpers/key-scan.ts'
import { izlyCard, testIzly } from '../helpers/izly.ts'
import { testRedis } from '../helpers/redis.ts'
import { driveToRest } from '../helpers/rest.ts'
import { waitFor } from '../helpers/wait.ts'
import { cardEvent } from '../fixtures/card-events.ts'

const HOLDER = {
  firstName: 'Gwenaëlle-Ysaline',
  lastName: 'Le Kerdrézec',
  email: 'gwenaelle.lekerdrezec@etu.univ-caen.fr',
  birthDate: '2001-02-28',
  ine: '0555123987K',
  esi: 'urn:schac:personalUniqueCode:int:esi:fr:ZK4410WQX',
  eppn: 'glekerdrezec4410@univ-caen.fr',
}

async function erase (gateway: TestGateway, eppn: string): Promise<{ status: number, body: any, headers: Record<string, unknown> }> {
  const response = await gateway.app.inject({ method: 'DELETE', url: `/admin/v1/holders/${encodeURIComponent(eppn)}`, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })
  return { status: response.statusCode, body: response.json(), headers: response.headers }
}

function at (minutes: number): string {
  return new Date(Date.now() - 3_600_000 + minutes * 60_000).toISOString()
}

t.test('after an erasure no key under the prefix holds any of the holder\'s values, nor their keyed hashes', async (t) => {
  const capture = captureLogger('trace')
  const izly = await testIzly(t)
  const esc = await testEsc(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, escEndpoint: esc.endpoint, logger: capture.logger })
  const redis = await testRedis(t, gateway.prefix)
  const withHolder = (event: ReturnType<typeof escCardEvent>): typeof event => {
    Object.assign(event.holder, { firstName: HOLDER.firstName, lastName: HOLDER.lastName, email: HOLDER.email, birthDate: HOLDER.birthDate })
    return event
  }
  // Two cards of the holder: one CADUC, one DESTROYED (both end at Izly and at the router), each once enabled.
  const first = withHolder(escCardEvent({ state: 'ENABLED', eppn: HOLDER.eppn, ine: HOLDER.ine, esi: HOLDER.esi, occurredAt: at(0) }))
  const second = withHolder(escCardEvent({ state: 'ENABLED', eppn: HOLDER.eppn, ine: HOLDER.ine, esi: HOLDER.esi, occurredAt: at(1) }))
  // Another holder's card, which must stay whole.
  const other = escCardEvent({ state: 'ENABLED', occurredAt: at(0) })
  for (const event of [first, second, other]) t.equal((await gateway.post(event)).status, 202)
  await driveToRest(gateway)
  t.equal((await erase(gateway, HOLDER.eppn)).status, 409, 'refused while the cards are active')

  // A transient fault on the way, so that failed attempts and retries leave their traces in the queues.
  izly.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 503, code: '-503', message: 'busy', retryable: true, times: 1 })
  const ended = [
    withHolder(escCardEvent({ cardId: first.card.id, escn: first.card.escn as string, state: 'CADUC', eppn: HOLDER.eppn, ine: HOLDER.ine, esi: HOLDER.esi, occurredAt: at(2) })),
    withHolder(escCardEvent({ cardId: second.card.id, escn: second.card.escn as string, state: 'DESTROYED', eppn: HOLDER.eppn, ine: HOLDER.ine, esi: HOLDER.esi, occurredAt: at(3) })),
  ]
  for (const event of ended) t.equal((await gateway.post(event)).status, 202)
  await driveToRest(gateway)
  t.equal(izlyCard(izly, first.card.crous?.idZdc as string)?.opposed, true, 'opposed at Izly')
  t.equal(escCard(esc, first.card.escn as string), undefined, 'deleted at the router')

  const keys = buildHolderNeedles()
  const before = findNeedles(await scanEveryKey(redis, gateway.prefix), keys)
  t.ok(before.some((hit) => hit.includes(':card:')), 'before: the card records hold the holder\'s values')
  t.ok(before.some((hit) => hit.includes(':holder:')), 'before: the holder\'s card set is named by the keyed hash')
  t.ok(before.some((hit) => hit.includes(':activity:esc:')), 'before: the router activity names the person by a keyed hash')

  const erased = await erase(gateway, HOLDER.eppn)
  t.equal(erased.status, 200)
  t.same([...erased.body.cardIds].sort(), [first.card.id, second.card.id].sort(), 'both cards erased')

  const after = await scanEveryKey(redis, gateway.prefix)
  t.ok(after.some(({ key }) => key.includes(':bull:izly-oppose:')), 'the BullMQ keys were searched')
  t.ok(after.some(({ type }) => type === 'stream') && after.some(({ type }) => type === 'zset') && after.some(({ type }) => type === 'hash'), 'streams, sorted sets and hashes were searched')
  t.same(findNeedles(after, keys), [], 'none of the holder\'s values, nor their keyed hashes, in any key name or value')
  for (const cardId of [first.card.id, second.card.id]) {
    t.notOk(after.some(({ key }) => key === `${gateway.prefix}:card:${cardId}` || key === `${gateway.prefix}:timeline:${cardId}` || key.startsWith(`${gateway.prefix}:sync:`) && key.endsWith(`:${cardId}`)), `card ${cardId}: record, timeline and sync records gone`)
    const event = cardId === first.card.id ? first : second
    for (const [kind, value] of [['csn', event.card.csn], ['idZdc', event.card.crous?.idZdc], ['escn', event.card.escn]]) {
      t.notOk(after.some(({ key }) => key === `${gateway.prefix}:index:${kind as string}:${value as string}`), `card ${cardId}: its ${kind as string} index is gone`)
    }
    const tombstone = await redis.hgetall(`${gateway.prefix}:erased:${cardId}`)
    t.match(tombstone, { erasedFor: 'request', version: '2', events: '2', 'izly.confirmedVersion': '2', 'esc.confirmedVersion': '2' }, 'the non-personal counters stay')
    t.equal((await gateway.admin('GET', `/admin/v1/cards/${encodeURIComponent(cardId)}`)).status, 404)
  }
  t.equal((await gateway.admin('GET', `/admin/v1/cards/${encodeURIComponent(other.card.id)}`)).status, 200, 'another holder\'s card is untouched')
  t.ok(await redis.exists(`${gateway.prefix}:index:csn:${other.card.csn as string}`), 'and so are its indexes')

  // The SGC resending an old event: still a duplicate (the idempotency record stays), never a new card.
  const resent = await gateway.post(first)
  t.match(resent, { status: 202, body: { duplicate: true } })
  t.equal(await redis.exists(`${gateway.prefix}:card:${first.card.id}`), 0, 'the resend recreated nothing')
  t.equal((await erase(gateway, HOLDER.eppn)).status, 404, 'a second erasure finds nothing')
  // A late event (older than the state erased, a new eventId) does not bring the card back either...
  const late = withHolder(escCardEvent({ cardId: first.card.id, escn: first.card.escn as string, state: 'ENABLED', eppn: HOLDER.eppn, ine: HOLDER.ine, esi: HOLDER.esi, occurredAt: at(1) }))
  t.match(await gateway.post(late), { status: 202, body: { applied: false } }, 'a late event after the erasure is late')
  t.equal(await redis.exists(`${gateway.prefix}:card:${first.card.id}`), 0, 'and recreates nothing')
  t.same(findNeedles(await scanEveryKey(redis, gateway.prefix), keys), [], 'still none of the holder\'s values')
  // ...while a newer one is the SGC's word: the card is back.
  const back = escCardEvent({ cardId: second.card.id, escn: second.card.escn as string, state: 'ENABLED', occurredAt: new Date().toISOString() })
  t.match(await gateway.post(back), { status: 202, body: { applied: true } }, 'a newer event is applied')
  t.ok(await redis.exists(`${gateway.prefix}:card:${second.card.id}`), 'and makes the card anew')

  const audit = capture.lines.filter((line) => line.audit === 'holder-erasure')
  t.match(audit, [{ outcome: 'refused-active' }, { outcome: 'erased', holderRef: /^[0-9a-f]{16}$/, cardIds: Array }, { outcome: 'unknown-holder' }], 'an audit line per request')
  t.same(findNeedles([{ key: 'logs', content: capture.text() }], keys), [], 'no log line names the holder, the URL included')

  function buildHolderNeedles (): string[] {
    const holderKey = pseudonymiser(TEST_PSEUDONYM_KEY, 'holder-key')(HOLDER.eppn)
    const personRef = pseudonymiser(TEST_PSEUDONYM_KEY, 'person-ref', 16)(HOLDER.esi.toLowerCase())
    return [HOLDER.firstName, 'Gwenaelle', 'Ysaline', HOLDER.lastName, 'Kerdrezec', HOLDER.email, HOLDER.birthDate, HOLDER.ine, HOLDER.esi, 'ZK4410WQX', HOLDER.eppn, 'glekerdrezec4410', holderKey, personRef]
  }
})

t.test('an erasure is refused while an opposition of the holder is pending, and goes through once it has drained', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url })
  const enabled = cardEvent({ state: 'ENABLED', occurredAt: at(0) })
  const { eppn } = enabled.holder
  const cardId = enabled.card.id
  t.equal((await gateway.post(enabled)).status, 202)
  await driveToRest(gateway)

  const active = await erase(gateway, eppn)
  t.equal(active.status, 409)
  t.match(active.body, { type: /holder-has-active-cards$/, detail: new RegExp(`card ${cardId} is ENABLED`), obstacles: [{ cardId }] })
  t.notOk(active.headers['retry-after'], 'no point retrying: the SGC must act first')

  // The card ends; Izly refuses the opposition permanently, so it waits for an operator.
  izly.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 422, code: '-99', message: 'refused', times: 1 })
  t.equal((await gateway.post(cardEvent({ cardId, eppn, state: 'CADUC', occurredAt: at(1) }))).status, 202)
  await waitFor('the opposition waiting for attention', async () => (await gateway.admin('GET', '/admin/v1/attention?downstream=izly')).body.count === 1)
  const pending = await erase(gateway, eppn)
  t.equal(pending.status, 409)
  t.match(pending.body, { type: /holder-work-pending$/, detail: new RegExp(`card ${cardId}: opposition \\(CADUC\\) needs attention at izly .*-99`), obstacles: [{ cardId, downstream: 'izly' }] })
  t.equal(pending.headers['retry-after'], '30')
  t.equal((await gateway.admin('GET', `/admin/v1/cards/${encodeURIComponent(cardId)}`)).status, 200, 'nothing was erased')

  t.equal((await gateway.admin('POST', `/admin/v1/attention/izly/${encodeURIComponent(cardId)}/replay`)).status, 202)
  await driveToRest(gateway)
  t.equal(izlyCard(izly, enabled.card.crous?.idZdc as string)?.opposed, true, 'the opposition reached Izly')
  const done = await erase(gateway, eppn)
  t.equal(done.status, 200)
  t.same(done.body, { erased: true, cardIds: [cardId] })
  t.equal((await gateway.admin('GET', `/admin/v1/cards/${encodeURIComponent(cardId)}`)).status, 404)
})

t.test('an erasure is refused while a card of the holder is still registered at the ESC Router', async (t) => {
  const izly = await testIzly(t)
  const esc = await testEsc(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, escEndpoint: esc.endpoint })
  const enabled = escCardEvent({ state: 'ENABLED', occurredAt: at(0) })
  t.equal((await gateway.post(enabled)).status, 202)
  await driveToRest(gateway)
  t.equal(escCard(esc, enabled.card.escn as string)?.status, 'ACTIVE')
  t.equal((await gateway.post(escCardEvent({ cardId: enabled.card.id, escn: enabled.card.escn as string, eppn: enabled.holder.eppn, state: 'DISABLED', disableReason: 'LOST', occurredAt: at(1) }))).status, 202)
  await driveToRest(gateway)
  t.equal(escCard(esc, enabled.card.escn as string)?.status, 'INACTIVE')
  const refused = await erase(gateway, enabled.holder.eppn)
  t.equal(refused.status, 409)
  t.match(refused.body, { type: /holder-has-active-cards$/, obstacles: [{ cardId: enabled.card.id, downstream: 'esc', reason: /still registered at the ESC Router/ }] })
  t.equal((await gateway.post(escCardEvent({ cardId: enabled.card.id, escn: enabled.card.escn as string, eppn: enabled.holder.eppn, state: 'CADUC', occurredAt: at(2) }))).status, 202)
  await driveToRest(gateway)
  t.equal(escCard(esc, enabled.card.escn as string), undefined, 'CADUC deleted it at the router')
  t.equal((await erase(gateway, enabled.holder.eppn)).status, 200, 'then the erasure goes through')
})

t.test('the erasure route wants an admin token', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url })
  const response = await gateway.app.inject({ method: 'DELETE', url: '/admin/v1/holders/someone%40univ.fr' })
  t.equal(response.statusCode, 401)
  const wrong = await gateway.app.inject({ method: 'DELETE', url: '/admin/v1/holders/someone%40univ.fr', headers: { authorization: 'Bearer nope-nope-nope' } })
  t.equal(wrong.statusCode, 401)
})
