// Drill 1: Izly down for a while (503s, then connections dropped), then back: every accepted
// opposition arrives, with its own reason.
import t from 'tap'
import type { DisableReason } from '../../src/domain/card-state.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { izlyCard, seedCard, forEachIzlyTransport, testIzly } from '../helpers/izly.ts'
import { breakerOpen } from '../helpers/breaker.ts'
import { waitFor } from '../helpers/wait.ts'

const REASONS: Array<[DisableReason, string]> = [['LOST', 'DP'], ['THEFT', 'DV'], ['OUT_OF_ORDER', 'CD']]

forEachIzlyTransport(t, 'oppositions accepted during an Izly outage all arrive once it is back', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint })
  const cards = Array.from({ length: 30 }, (_, i) => {
    const reason = REASONS[i % REASONS.length] as [DisableReason, string]
    const enabled = cardEvent({ state: 'ENABLED' })
    seedCard(izly, enabled)
    return { idZdc: enabled.card.crous?.idZdc as string, event: cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: reason[0] }), expected: reason[1] }
  })

  izly.setOutage('http503')
  for (const { event } of cards) t.equal((await gateway.post(event)).status, 202, 'accepted while Izly is down')
  const outageCalls = (): number => izly.calls.filter((call) => call.code === 'outage').length
  await waitFor('the breaker to open, then probe', async () => outageCalls() >= 8 && await breakerOpen(gateway, 'izly'))
  izly.setOutage('reset')
  const probed = izly.calls.length
  await waitFor('probes against dropped connections', () => izly.calls.length >= probed + 2)
  t.ok(cards.every(({ idZdc }) => izlyCard(izly, idZdc)?.opposed === false), 'nothing could be opposed during the outage')
  const attention = await gateway.admin('GET', '/admin/v1/attention')
  t.equal(attention.body.count, 0, 'an outage is transient: nothing waits for a human')

  izly.setOutage('off')
  await waitFor('every opposition', () => cards.every(({ idZdc }) => izlyCard(izly, idZdc)?.opposed === true), 20_000)
  for (const { idZdc, expected } of cards) t.equal(izlyCard(izly, idZdc)?.reason, expected, `card ${idZdc} opposed with ${expected}`)
})
