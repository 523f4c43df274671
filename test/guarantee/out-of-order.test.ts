// Drill 5: ENABLED/DISABLED/ENABLED/DISABLED for one card, delivered out of order and processed by
// concurrent workers (two gateways on one Redis): Izly ends in the SGC's last state.
import t from 'tap'
import type { CardEvent } from '../../src/domain/card-event.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { izlyCard, seedCard, forEachIzlyTransport, testIzly } from '../helpers/izly.ts'
import { uniquePrefix } from '../helpers/redis.ts'
import { waitFor } from '../helpers/wait.ts'

function shuffle<T> (items: T[]): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

forEachIzlyTransport(t, 'every card converges to its latest SGC state, whatever the order and the workers', async (t, transport) => {
  const izly = await testIzly(t, transport)
  izly.setLatency(15) // widen the windows in which workers and events interleave
  const prefix = uniquePrefix()
  const first = await startTestGateway(t, { izlyEndpoint: izly.endpoint, prefix })
  const second = await startTestGateway(t, { izlyEndpoint: izly.endpoint, prefix, cleanup: false })
  const base = Date.parse('2026-11-28T08:00:00Z')

  const cards = Array.from({ length: 24 }, (_, i) => {
    const endsEnabled = i % 3 === 0
    const states = endsEnabled ? ['DISABLED', 'ENABLED', 'DISABLED', 'ENABLED'] as const : ['ENABLED', 'DISABLED', 'ENABLED', 'DISABLED'] as const
    const cardId = `ooo-${prefix}-${i}`
    const events: CardEvent[] = states.map((state, k) => cardEvent({
      cardId,
      state,
      ...(state === 'DISABLED' ? { disableReason: k === 3 ? 'THEFT' : 'LOST' } : {}),
      occurredAt: new Date(base + k * 60_000).toISOString(),
    }))
    seedCard(izly, events[0] as CardEvent)
    return { cardId, idZdc: events[0]?.card.crous?.idZdc as string, events, endsEnabled }
  })

  // Every card's four events, shuffled, posted concurrently through both gateways.
  const deliveries = shuffle(cards.flatMap((card) => card.events.map((event, k) => ({ event, via: k % 2 === 0 ? first : second }))))
  const answers = await Promise.all(deliveries.map(async ({ event, via }) => await via.post(event)))
  t.ok(answers.every((answer) => answer.status === 202), 'all accepted')

  await waitFor('every card in line', async () => {
    for (const card of cards) {
      const view = await first.admin('GET', `/admin/v1/cards/${card.cardId}`)
      if (view.body.downstreams.izly.inLine !== true) return false
    }
    return true
  }, 30_000)
  for (const card of cards) {
    const held = izlyCard(izly, card.idZdc)
    const view = await first.admin('GET', `/admin/v1/cards/${card.cardId}`)
    t.equal(view.body.desired.state, card.endsEnabled ? 'ENABLED' : 'DISABLED', `${card.cardId}: the registry holds the last SGC state`)
    if (card.endsEnabled) t.equal(held?.opposed, false, `${card.cardId}: active at Izly`)
    else t.match(held, { opposed: true, reason: 'DV' }, `${card.cardId}: opposed at Izly with the last reason`)
  }
})
