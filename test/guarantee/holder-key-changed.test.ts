// The CROUS key of a holder can change after the card was registered (a crousIdentifier arrives from
// the SGC, or the card was registered by ESUP-SGC under another key): a 404 under the new key must not
// pass for "nothing to oppose" while the card is still usable under the old one.
import t from 'tap'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { izlyCard, seedCard, forEachIzlyTransport, testIzly } from '../helpers/izly.ts'
import { waitFor } from '../helpers/wait.ts'

forEachIzlyTransport(t, 'a card registered under the eppn is opposed even after the holder gained a crousIdentifier', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint })
  const enabled = cardEvent({ state: 'ENABLED', occurredAt: '2026-11-28T08:00:00Z' })
  seedCard(izly, enabled) // registered at Izly under the eppn, by whoever (ESUP-SGC before the gateway)
  const idZdc = enabled.card.crous?.idZdc as string

  const disabled = cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'THEFT', occurredAt: '2026-11-28T09:00:00Z' })
  disabled.holder.crousIdentifier = 'C-2026-0001'
  await gateway.post(disabled)
  await waitFor('the opposition', () => izlyCard(izly, idZdc)?.opposed === true)
  t.equal(izlyCard(izly, idZdc)?.reason, 'DV')
  const tries = izly.listCalls().filter((call) => call.operation === 'OpposeSmartCard' && call.idZdc === idZdc)
  t.same(tries.map((call) => call.identifier), ['C-2026-0001', enabled.holder.eppn], 'the new key answered 404, the old one opposed the card')
  // The worker confirms once Izly has answered: wait for the confirmation, not just for Izly.
  const izlyView = await waitFor('the confirmation', async () => {
    const view = await gateway.admin('GET', `/admin/v1/cards/${enabled.card.id}`)
    return view.body.downstreams.izly.inLine === true ? view.body.downstreams.izly : undefined
  })
  t.match(izlyView, { remoteState: 'opposed', outcome: 'opposed', inLine: true })
})

forEachIzlyTransport(t, 'the key an enablement registered is the first one its opposition uses', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint })
  const enabled = cardEvent({ state: 'ENABLED', occurredAt: '2026-11-28T08:00:00Z' })
  const idZdc = enabled.card.crous?.idZdc as string
  await gateway.post(enabled)
  await waitFor('the registration', () => izlyCard(izly, idZdc)?.opposed === false)

  const disabled = cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'LOST', occurredAt: '2026-11-28T09:00:00Z' })
  disabled.holder.crousIdentifier = 'C-2026-0002'
  await gateway.post(disabled)
  await waitFor('the opposition', () => izlyCard(izly, idZdc)?.opposed === true)
  const tries = izly.listCalls().filter((call) => call.operation === 'OpposeSmartCard' && call.idZdc === idZdc)
  t.same(tries.map((call) => call.identifier), [enabled.holder.eppn], 'one call, under the registered key')
})

forEachIzlyTransport(t, 'a -42 ("Client inconnu") under the new key moves on to the old one, which opposes the card', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint })
  const enabled = cardEvent({ state: 'ENABLED', occurredAt: '2026-11-28T08:00:00Z' })
  seedCard(izly, enabled)
  const idZdc = enabled.card.crous?.idZdc as string
  izly.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 422, code: '-42', message: 'Client inconnu', retryable: false, identifier: 'C-2026-0003' })

  const disabled = cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'LOST', occurredAt: '2026-11-28T09:00:00Z' })
  disabled.holder.crousIdentifier = 'C-2026-0003'
  await gateway.post(disabled)
  const izlyView = await waitFor('the confirmation', async () => {
    const view = await gateway.admin('GET', `/admin/v1/cards/${enabled.card.id}`)
    return view.body.downstreams.izly.inLine === true ? view.body.downstreams.izly : undefined
  })
  t.match(izlyView, { remoteState: 'opposed', outcome: 'opposed', needsAttention: null })
  t.match(izlyCard(izly, idZdc), { opposed: true, reason: 'DP' })
  const tries = izly.listCalls().filter((call) => call.operation === 'OpposeSmartCard' && call.idZdc === idZdc)
  t.same(tries.map((call) => `${call.identifier ?? ''} ${call.code ?? call.result ?? ''}`), ['C-2026-0003 -42', `${enabled.holder.eppn} OPPOSED`])
})
