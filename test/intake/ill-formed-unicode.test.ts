// Ill-formed Unicode (lone surrogates, or bytes that are no UTF-8) never aliases one identifier to
// another: Redis would store U+FFFD for each, so `c-\ud800` and `c-\udfff` would be one card. Every
// entrance refuses it, naming the field, and writes nothing. Real gateway, real Redis.
import t from 'tap'
import { cardEvent } from '../fixtures/card-events.ts'
import { TEST_ADMIN_TOKEN } from '../helpers/gateway.ts'
import { countKeys, testRedis } from '../helpers/redis.ts'
import { checkEnvelope, CROUS_API_KEY, startValidityGateway } from '../helpers/validity.ts'

t.test('intake: a lone surrogate in any field is a 400 naming it, single or batch, and Redis is untouched', async (t) => {
  const gateway = await startValidityGateway(t)
  const redis = await testRedis(t, gateway.prefix)
  const before = await countKeys(redis, gateway.prefix)

  const cases: Array<[string, (event: ReturnType<typeof cardEvent>) => void]> = [
    ['card.id', (event) => { event.card.id = 'alice-\ud800' }],
    ['card.id', (event) => { event.card.id = 'alice-\udfff' }],
    ['eventId', (event) => { event.eventId = 'evt-\udfff' }],
    ['holder.eppn', (event) => { event.holder.eppn = 'bob\ud83d@univ-rouen.fr' }],
    ['holder.lastName', (event) => { event.holder.lastName = 'Dupont\udc00' }],
  ]
  for (const [field, spoil] of cases) {
    const event = cardEvent()
    spoil(event)
    const answer = await gateway.post(event)
    t.equal(answer.status, 400, `${field}: 400`)
    t.match(answer.body, { type: /invalid-card-event$/, errors: [{ field, message: /not well-formed Unicode/ }] }, `${field}: named`)
  }

  const events = cases.map(([, spoil]) => {
    const event = cardEvent()
    spoil(event)
    return event
  })
  const batch = await gateway.postBatch(events)
  t.equal(batch.status, 202)
  cases.forEach(([field], index) => {
    t.match(batch.body.results[index], { index, status: 'invalid', errors: [{ field, message: /not well-formed Unicode/ }] }, `batch event ${index}: ${field} named`)
  })
  t.equal(batch.body.results[2].eventId, null, 'an ill-formed eventId is not echoed back')
  t.equal(await countKeys(redis, gateway.prefix), before, 'nothing was written to Redis')
})

t.test('three cards that would be one in Redis stay three: the legitimate U+FFFD card is its own', async (t) => {
  const gateway = await startValidityGateway(t)
  const alice = cardEvent({ cardId: 'c-\ufffd', state: 'ENABLED' })
  t.equal((await gateway.post(alice)).status, 202, 'a well-formed id holding U+FFFD itself is accepted')
  for (const id of ['c-\ud800', 'c-\udfff']) {
    const bob = cardEvent({ cardId: id, state: 'DISABLED', disableReason: 'LOST' })
    t.equal((await gateway.post(bob)).status, 400, `${JSON.stringify(id)} is refused`)
  }
  t.equal((await gateway.registry.getCard('c-\ufffd'))?.card.state, 'ENABLED', 'no DISABLED landed on the card')
  t.equal((await gateway.registry.getTimeline('c-\ufffd')).length, 1, 'its timeline holds its one event')
})

t.test('validity and admin: bytes that are no character are refused, never looked up as U+FFFD', async (t) => {
  const gateway = await startValidityGateway(t)
  const rest = await gateway.rest('/crous/v1/cards/%ED%A0%80/validity')
  t.equal(rest.status, 400, 'REST: a path segment that decodes to a lone surrogate is a 400')
  t.match(rest.headers['content-type'], /^application\/problem\+json/)
  t.match(rest.body, { type: /invalid-url$/ })

  const admin = await gateway.app.inject({ method: 'GET', url: '/admin/v1/cards/c-%ED%A0%80', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })
  t.equal(admin.statusCode, 400, 'admin: the same path segment is a 400')
  t.match(admin.json(), { type: /invalid-url$/ })
  const replay = await gateway.app.inject({ method: 'POST', url: '/admin/v1/attention/izly/c-%ED%B0%80/replay', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })
  t.equal(replay.statusCode, 400, 'admin replay: a 400')

  // SOAP: the raw bytes of a lone surrogate inside cardId, and a character reference to one.
  const envelope = checkEnvelope('04A1B2C3D4E5F6')
  const [head, tail] = envelope.split('04A1B2C3D4E5F6') as [string, string]
  const bytes = Buffer.concat([Buffer.from(head), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(tail)])
  const raw = await gateway.app.inject({ method: 'POST', url: '/crous/v1/soap', payload: bytes, headers: { 'content-type': 'text/xml; charset=utf-8' } })
  t.equal(raw.statusCode, 400, 'SOAP: bytes that are not UTF-8 are a 400')
  t.match(raw.body, /soap:Client/)
  t.match(raw.body, /not well-formed UTF-8/)
  t.notMatch(raw.body, /UnknownCard/, 'never looked up')
  const reference = await gateway.soap(envelope.replace('04A1B2C3D4E5F6', '04A1&#xD800;'))
  t.equal(reference.status, 400, 'SOAP: a character reference to a surrogate is a 400')
  t.match(reference.body, /soap:Client/)

  const qr = await gateway.rest(`/crous/v1/validity?qr=${encodeURIComponent('https://s.esc-r.eu/')}%ED%A0%80`, CROUS_API_KEY)
  t.equal(qr.status, 400, 'a QR code whose last segment is no character is invalid')
})
