// DELETE /admin/v1/holders/{eppn} answers what openapi/gateway.yaml says, for every documented status.
import t from 'tap'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway, TEST_ADMIN_TOKEN } from '../helpers/gateway.ts'
import { testIzly } from '../helpers/izly.ts'
import { checkAnswer } from '../helpers/openapi-contract.ts'
import { driveToRest } from '../helpers/rest.ts'
import { waitFor } from '../helpers/wait.ts'

const PATH = '/admin/v1/holders/{eppn}'

t.test('every answer of the erasure route matches the OpenAPI document', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url })
  const erase = async (eppn: string, token: string | null = TEST_ADMIN_TOKEN): Promise<{ status: number, body: any }> => {
    const url = `/admin/v1/holders/${encodeURIComponent(eppn)}`
    const response = await gateway.app.inject({ method: 'DELETE', url, headers: token === null ? {} : { authorization: `Bearer ${token}` } })
    return { status: response.statusCode, body: checkAnswer(t, 'delete', PATH, response, `DELETE ${url}`) }
  }
  const enabled = cardEvent({ state: 'ENABLED', occurredAt: '2026-11-28T09:00:00+01:00' })
  const { eppn } = enabled.holder
  t.equal((await gateway.post(enabled)).status, 202)
  await driveToRest(gateway)

  t.equal((await erase(eppn, null)).status, 401)
  t.equal((await erase(' ')).status, 400)
  t.equal((await erase('nobody@univ-rouen.fr')).status, 404)
  t.match(await erase(eppn), { status: 409, body: { type: /holder-has-active-cards$/ } })
  izly.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 422, code: '-99', message: 'refused', times: 1 })
  t.equal((await gateway.post(cardEvent({ cardId: enabled.card.id, eppn, state: 'DESTROYED', occurredAt: '2026-11-28T10:00:00+01:00' }))).status, 202)
  await waitFor('the opposition waiting for attention', async () => (await gateway.admin('GET', '/admin/v1/attention')).body.count === 1)
  t.match(await erase(eppn), { status: 409, body: { type: /holder-work-pending$/, obstacles: [{ cardId: enabled.card.id, downstream: 'izly' }] } })
  t.equal((await gateway.admin('POST', `/admin/v1/attention/izly/${encodeURIComponent(enabled.card.id)}/replay`)).status, 202)
  await driveToRest(gateway)
  t.match(await erase(eppn), { status: 200, body: { erased: true, cardIds: [enabled.card.id] } })
})
