// Every refused request leaves Redis exactly as it was (real Redis, through the real gateway).
import t from 'tap'
import { signBody } from '../../src/intake/signature.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway, TEST_SECRET } from '../helpers/gateway.ts'
import { testIzly } from '../helpers/izly.ts'
import { countKeys, testRedis } from '../helpers/redis.ts'

t.test('bad input gets its error answer and changes nothing', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, role: 'api' })
  const redis = await testRedis(t, gateway.prefix)
  const app = gateway.app
  if (app === undefined) throw new Error('no API')
  const send = async (body: string, headers: Record<string, string> = {}) => await app.inject({
    method: 'POST', url: '/sgc/v1/card-events', payload: body, headers: { 'content-type': 'application/json', 'x-signature': signBody(TEST_SECRET, body), ...headers },
  })

  const stored = cardEvent({ state: 'ENABLED' })
  t.equal((await gateway.post(stored)).status, 202)
  const baseline = await countKeys(redis, gateway.prefix)
  const timelineBefore = (await gateway.registry.getTimeline(stored.card.id)).length

  const good = JSON.stringify(cardEvent({ state: 'DISABLED' }))
  const cases: Array<[string, () => Promise<{ statusCode: number, headers: Record<string, unknown>, body: string }>, number]> = [
    ['no signature', async () => await app.inject({ method: 'POST', url: '/sgc/v1/card-events', payload: good, headers: { 'content-type': 'application/json' } }), 401],
    ['wrong secret', async () => await send(good, { 'x-signature': signBody('another-secret-0123456789', good) }), 401],
    ['stale signature', async () => await send(good, { 'x-signature': signBody(TEST_SECRET, good, Math.floor(Date.now() / 1000) - 301) }), 401],
    ['malformed event', async () => await send(JSON.stringify({ ...cardEvent(), occurredAt: 'yesterday', card: { id: 'x', state: 'LOST' } })), 400],
    ['malformed JSON', async () => await send('{"eventId":'), 400],
    ['same eventId, other body', async () => await send(JSON.stringify({ ...stored, card: { ...stored.card, state: 'DISABLED' } })), 409],
    ['body over the limit', async () => await send(JSON.stringify({ ...cardEvent(), padding: 'x'.repeat(70 * 1024) })), 413],
  ]
  for (const [name, request, status] of cases) {
    const response = await request()
    t.equal(response.statusCode, status, `${name}: ${status}`)
    t.match(response.headers['content-type'], /^application\/problem\+json/, `${name}: problem+json`)
  }
  t.equal(await countKeys(redis, gateway.prefix), baseline, 'no key was added')
  t.equal((await gateway.registry.getTimeline(stored.card.id)).length, timelineBefore, 'the timeline is untouched')
  t.equal((await gateway.registry.getCard(stored.card.id))?.card.state, 'ENABLED', 'the card is untouched')

  const invalid = await send(JSON.stringify({ eventId: '', occurredAt: '2026-11-28T10:00:00', card: { id: 'c', state: 'ENABLED', csn: 'XYZ' }, holder: { eppn: 'e' } }))
  const fields = (invalid.json() as { errors: Array<{ field: string }> }).errors.map((error) => error.field)
  for (const field of ['eventId', 'occurredAt', 'card.csn', 'holder.consents']) t.ok(fields.includes(field), `400 names ${field}`)
})
