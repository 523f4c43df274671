// Drill 6: a permanent fault (-42) puts the work in "needs attention" (with a metric); after the
// cause is fixed, an operator's replay delivers it.
import t from 'tap'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway, TEST_ADMIN_TOKEN } from '../helpers/gateway.ts'
import { callsFor, izlyCard, seedCard, forEachIzlyTransport, testIzly } from '../helpers/izly.ts'
import { driveToRest } from '../helpers/rest.ts'
import { waitFor } from '../helpers/wait.ts'

forEachIzlyTransport(t, 'a -42 on opposition waits in "needs attention" until replayed', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint })
  const enabled = cardEvent({ state: 'ENABLED' })
  seedCard(izly, enabled)
  const idZdc = enabled.card.crous?.idZdc as string
  const cardId = enabled.card.id
  const fault = izly.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 422, code: '-42', message: 'Client inconnu', retryable: false, idZdc })

  await gateway.post(cardEvent({ cardId, state: 'DISABLED', disableReason: 'LOST' }))
  const entry = await waitFor('the attention entry', async () => (await gateway.admin('GET', '/admin/v1/attention')).body.entries[0])
  t.match(entry, { downstream: 'izly', cardId, code: '-42', lane: 'oppose', version: 1 })
  await driveToRest(gateway) // jobs done, sweeps run: a permanent fault is not retried on its own
  t.equal(callsFor(izly, 'OpposeSmartCard', idZdc).length, 0, 'no successful call')
  t.equal(izly.listCalls().filter((call) => call.operation === 'OpposeSmartCard' && call.code === '-42').length, 2, 'each holder key (eppn, INE) tried once, not hammered')

  const metrics = await gateway.app?.inject({ method: 'GET', url: '/metrics' })
  t.match(metrics?.body, /leocarte_needs_attention\{downstream="izly"\} 1/)
  t.match(metrics?.body, /leocarte_sync_outcomes_total\{downstream="izly",lane="oppose",outcome="permanent-fault",code="-42"\} 1/)
  const view = await gateway.admin('GET', `/admin/v1/cards/${cardId}`)
  t.match(view.body.downstreams.izly, { inLine: false, needsAttention: { code: '-42' } })

  t.equal((await gateway.admin('POST', `/admin/v1/attention/izly/${cardId}/replay`)).status, 202, 'replay accepted')
  // The cause is still there: the replay meets the same fault and the entry comes back.
  await waitFor('the entry again', async () => (await gateway.admin('GET', '/admin/v1/attention')).body.count === 1)

  izly.removeFault(fault.id)
  t.equal((await gateway.admin('POST', `/admin/v1/attention/izly/${cardId}/replay`)).status, 202)
  await waitFor('the opposition', () => izlyCard(izly, idZdc)?.opposed === true)
  t.equal(izlyCard(izly, idZdc)?.reason, 'DP')
  t.equal((await gateway.admin('GET', '/admin/v1/attention')).body.count, 0)
  t.equal((await gateway.admin('POST', `/admin/v1/attention/izly/${cardId}/replay`)).status, 409, 'nothing left to replay')

  const timeline = (await gateway.admin('GET', `/admin/v1/cards/${cardId}/timeline`)).body.entries as Array<{ type: string }>
  t.ok(timeline.some((entry) => entry.type === 'fault') && timeline.some((entry) => entry.type === 'replay'), 'fault and replay are in the timeline')
  const denied = await gateway.app?.inject({ method: 'GET', url: '/admin/v1/attention', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}x` } })
  t.equal(denied?.statusCode, 401, 'the admin API wants its token')
})
