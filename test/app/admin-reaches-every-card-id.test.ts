// Whatever card.id intake accepts, operators can manage: the longest ids (255 characters, astral ones
// taking two UTF-16 units each) and ids made of URL-reserved characters reach the card view, the
// timeline and the replay. Through the real gateway.
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import t from 'tap'
import { parse as parseYaml } from 'yaml'
import { GATEWAY_OPENAPI_URL, loadCardEventValidators } from '../../src/intake/card-event-schema.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway, TEST_ADMIN_TOKEN } from '../helpers/gateway.ts'

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

/** A GET on a real socket, the path sent exactly as given (no client-side dot-segment folding). */
async function getRaw (origin: string, path: string): Promise<{ status: number, body: any }> {
  return await new Promise((resolve, reject) => {
    // host, port and path apart: a URL string would fold %2E%2E segments away (WHATWG URL rules).
    const { hostname, port } = new URL(origin)
    const call = request({ hostname, port, path, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } }, (response) => {
      let text = ''
      response.on('data', (chunk: Buffer) => { text += chunk.toString() })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }))
    })
    call.on('error', reject)
    call.end()
  })
}

t.test('ids that read as dot segments (".", "..") are reached when their dots are percent-encoded', async (t) => {
  const gateway = await startTestGateway(t, { izlyEndpoint: 'http://127.0.0.1:9/izly', role: 'api', listen: true })
  for (const id of ['.', '..', '../admin']) {
    t.equal((await gateway.post(cardEvent({ cardId: id, eppn: 'dots@univ-rouen.fr' }))).status, 202, `${JSON.stringify(id)}: accepted`)
    const path = encodeURIComponent(id).replaceAll('.', '%2E')
    const card = await getRaw(gateway.url as string, `/admin/v1/cards/${path}`)
    t.equal(card.status, 200, `${JSON.stringify(id)}: the card view answers`)
    t.equal(card.body.cardId, id)
    t.equal((await getRaw(gateway.url as string, `/admin/v1/cards/${path}/timeline`)).status, 200, `${JSON.stringify(id)}: the timeline answers`)
  }
})
