// Drill 8: the holder's right-holder sync fails (423 locked): the card is still opposed.
import t from 'tap'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { izlyCard, seedCard, forEachIzlyTransport, testIzly } from '../helpers/izly.ts'
import { waitFor } from '../helpers/wait.ts'

forEachIzlyTransport(t, 'a locked Izly account does not stop the opposition of its card', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint })
  const enabled = cardEvent({ state: 'ENABLED', occurredAt: '2026-11-28T08:00:00Z' })
  seedCard(izly, enabled)
  const idZdc = enabled.card.crous?.idZdc as string
  izly.lockHolder(enabled.holder.eppn)

  // The enablement's right-holder sync meets the lock: a permanent fault, for a human.
  await gateway.post(enabled)
  const entry = await waitFor('the 423', async () => (await gateway.admin('GET', '/admin/v1/attention')).body.entries[0])
  t.match(entry, { code: '423', lane: 'enable' })

  await gateway.post(cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'THEFT', occurredAt: '2026-11-28T09:00:00Z' }))
  await waitFor('the opposition', () => izlyCard(izly, idZdc)?.opposed === true)
  t.equal(izlyCard(izly, idZdc)?.reason, 'DV')
  await waitFor('the stale entry to clear', async () => (await gateway.admin('GET', '/admin/v1/attention')).body.count === 0)
  t.pass('the enablement fault is superseded by the opposition that went through')
})
