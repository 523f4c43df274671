import t from 'tap'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { callsFor, izlyCard, forEachIzlyTransport, testIzly } from '../helpers/izly.ts'
import { waitFor } from '../helpers/wait.ts'

forEachIzlyTransport(t, 'ENABLED registers the card at Izly, DISABLED/LOST opposes it with DP, ENABLED revalidates it', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint })
  const enabled = cardEvent({ state: 'ENABLED', occurredAt: '2026-11-28T09:00:00+01:00' })
  const { id: cardId } = enabled.card
  const idZdc = enabled.card.crous?.idZdc as string

  t.match(await gateway.post(enabled), { status: 202, body: { eventId: enabled.eventId, duplicate: false } })
  await waitFor('registration', () => izlyCard(izly, idZdc)?.opposed === false)
  t.equal(callsFor(izly, 'RegisterSmartCard', idZdc).length, 1)

  const disabled = cardEvent({ cardId, state: 'DISABLED', disableReason: 'LOST', occurredAt: '2026-11-28T10:00:00+01:00' })
  t.match(await gateway.post(disabled), { status: 202 })
  await waitFor('opposition', () => izlyCard(izly, idZdc)?.opposed === true)
  t.equal(izlyCard(izly, idZdc)?.reason, 'DP')

  // The worker confirms once Izly has answered: wait for the confirmation, not just for Izly.
  const view = await waitFor('the confirmation', async () => {
    const answer = await gateway.admin('GET', `/admin/v1/cards/${cardId}`)
    return answer.body.downstreams.izly.inLine === true ? answer.body : undefined
  })
  t.match(view, { version: 2, desired: { state: 'DISABLED' }, downstreams: { izly: { confirmedVersion: 2, remoteState: 'opposed', inLine: true } } })

  const again = cardEvent({ cardId, state: 'ENABLED', occurredAt: '2026-11-28T11:00:00+01:00' })
  await gateway.post(again)
  await waitFor('revalidation', () => izlyCard(izly, idZdc)?.opposed === false)
  t.equal(callsFor(izly, 'RevalidateSmartCard', idZdc).length, 1)

  const timeline = await gateway.admin('GET', `/admin/v1/cards/${cardId}/timeline`)
  const types = timeline.body.entries.map((entry: { type: string }) => entry.type)
  t.ok(types.filter((type: string) => type === 'event').length === 3, 'every event is in the timeline')
  t.ok(types.includes('call') && types.includes('sync'), 'calls and confirmations too')
})

forEachIzlyTransport(t, 'an opposition for a card Izly never heard of is recorded as nothing to oppose, not as an error', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint })
  const disabled = cardEvent({ state: 'DISABLED', disableReason: 'THEFT' })
  await gateway.post(disabled)
  const view = await waitFor('sync', async () => {
    const answer = await gateway.admin('GET', `/admin/v1/cards/${disabled.card.id}`)
    return answer.body.downstreams.izly.inLine === true ? answer.body : undefined
  })
  t.match(view.downstreams.izly, { remoteState: 'absent', outcome: 'nothing-to-oppose-unknown-at-izly', needsAttention: null })
})
