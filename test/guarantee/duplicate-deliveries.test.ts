// Drill 4: the same event delivered 1,000 times, some concurrently: one effect at Izly.
import t from 'tap'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { callsFor, izlyCard, seedCard, forEachIzlyTransport, testIzly } from '../helpers/izly.ts'
import { driveToRest } from '../helpers/rest.ts'
import { waitFor } from '../helpers/wait.ts'

forEachIzlyTransport(t, 'one event delivered 1,000 times opposes the card once', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint })
  const enabled = cardEvent({ state: 'ENABLED' })
  seedCard(izly, enabled)
  const idZdc = enabled.card.crous?.idZdc as string
  const disabled = cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'THEFT' })

  const statuses: number[] = []
  let duplicates = 0
  // Ten waves of 100 concurrent deliveries, single and batched, while the worker is already at it.
  for (let wave = 0; wave < 10; wave++) {
    const answers = await Promise.all(Array.from({ length: 100 }, async (_, i) => {
      if (i % 10 === 0) {
        const batch = await gateway.postBatch([disabled])
        return { status: batch.status, duplicate: batch.body.results[0].status === 'duplicate' }
      }
      const single = await gateway.post(disabled)
      return { status: single.status, duplicate: single.body.duplicate === true }
    }))
    for (const answer of answers) {
      statuses.push(answer.status)
      if (answer.duplicate) duplicates++
    }
  }
  t.equal(statuses.length, 1000)
  t.ok(statuses.every((status) => status === 202), 'every delivery is acknowledged')
  t.equal(duplicates, 999, 'all but the first are recognised as duplicates')

  await waitFor('the opposition', () => izlyCard(izly, idZdc)?.opposed === true)
  await driveToRest(gateway) // every job run and every card swept: a stray second call would have happened by now
  t.equal(callsFor(izly, 'OpposeSmartCard', idZdc).length, 1, 'one OpposeSmartCard call reached Izly')
  const view = await gateway.admin('GET', `/admin/v1/cards/${enabled.card.id}`)
  t.equal(view.body.version, 1, 'the card changed once')
})
