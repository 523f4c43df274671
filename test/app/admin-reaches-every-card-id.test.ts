// Whatever card.id intake accepts, operators can manage: the longest ids (255 characters, astral ones
// taking two UTF-16 units each) and ids made of URL-reserved characters reach the card view, the
// timeline and the replay. Through the real gateway.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { parse as parseYaml } from 'yaml'
import { GATEWAY_OPENAPI_URL, loadCardEventValidators } from '../../src/intake/card-event-schema.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway } from '../helpers/gateway.ts'

/** Card.id's maxLength in openapi/gateway.yaml: what intake accepts decides what the admin routes must reach. */
const MAX = (parseYaml(readFileSync(GATEWAY_OPENAPI_URL, 'utf8')) as { components: { schemas: { Card: { properties: { id: { maxLength: number } } } } } }).components.schemas.Card.properties.id.maxLength
const LONGEST = [
  [`${MAX} astral characters`, '😀'.repeat(MAX)],
  [`${MAX} URL-reserved and accented characters`, '/ ?#%&+;=é'.repeat(MAX).slice(0, MAX)],
  [`${MAX} ASCII characters`, 'c'.repeat(MAX)],
] as const

t.test('the longest card ids intake accepts are reachable in the card view, the timeline and the replay', async (t) => {
  const gateway = await startTestGateway(t, { izlyEndpoint: 'http://127.0.0.1:9/izly', role: 'api' })
  const validators = loadCardEventValidators()
  for (const [name, id] of LONGEST) {
    t.equal([...id].length, MAX, `${name}: the schema's maximum`)
    // The default eppn is derived from the card id: keep it short.
    const event = cardEvent({ cardId: id, eppn: 'long-id@univ-rouen.fr' })
    t.same(validators.validateCardEvent(event), [], `${name}: valid for the schema`)
    t.equal((await gateway.post(event)).status, 202, `${name}: accepted`)

    const path = encodeURIComponent(id)
    const card = await gateway.admin('GET', `/admin/v1/cards/${path}`)
    t.equal(card.status, 200, `${name}: the card view answers`)
    t.equal(card.body.cardId, id, `${name}: about that card`)
    const timeline = await gateway.admin('GET', `/admin/v1/cards/${path}/timeline`)
    t.equal(timeline.status, 200, `${name}: the timeline answers`)
    t.equal(timeline.body.entries.length, 1)
    const replay = await gateway.admin('POST', `/admin/v1/attention/izly/${path}/replay`)
    t.equal(replay.status, 409, `${name}: the replay route is reached (nothing waits for attention)`)
    t.match(replay.body, { type: /not-waiting$/ })
  }
  const tooLong = cardEvent({ cardId: 'c'.repeat(MAX + 1), eppn: 'long-id@univ-rouen.fr' })
  t.equal((await gateway.post(tooLong)).status, 400, 'one character more is refused at intake')
})
