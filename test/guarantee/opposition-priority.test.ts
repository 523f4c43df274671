// Drill 7: an opposition posted behind 20,000 queued enablements reaches Izly within seconds,
// not after the backlog. Shown structurally: when Izly acknowledges the opposition, nearly all of the
// backlog is still waiting. (Durations are the benchmark's business, not a test's.)
import t from 'tap'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { izlyCard, seedCard, forEachIzlyTransport, testIzly } from '../helpers/izly.ts'
import { waitFor } from '../helpers/wait.ts'

const BACKLOG = 20_000

forEachIzlyTransport(t, 'an opposition overtakes 20,000 queued enablements', async (t, transport) => {
  const izly = await testIzly(t, transport)
  izly.setLatency(10)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint, extra: { ENABLE_CONCURRENCY: '4', OPPOSE_CONCURRENCY: '4' } })

  for (let offset = 0; offset < BACKLOG; offset += 1000) {
    const events = Array.from({ length: 1000 }, () => cardEvent({ state: 'ENABLED' }))
    const answer = await gateway.postBatch(events)
    t.equal(answer.status, 202)
    if (answer.body.results.some((result: { status: string }) => result.status !== 'accepted')) t.fail('a backlog event was not accepted')
  }
  const enableQueue = gateway.queues.queue('izly', 'enable')
  const queued = await enableQueue.getJobCounts('wait', 'prioritized', 'active')
  const backlog = (queued.wait ?? 0) + (queued.prioritized ?? 0) + (queued.active ?? 0)
  t.ok(backlog > BACKLOG * 0.9, `the enablement backlog is in place (${backlog} queued)`)

  const enabled = cardEvent({ state: 'ENABLED' })
  seedCard(izly, enabled)
  const idZdc = enabled.card.crous?.idZdc as string
  t.equal((await gateway.post(cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'LOST' }))).status, 202)
  await waitFor('the opposition', () => izlyCard(izly, idZdc)?.opposed === true, 20_000)

  const left = await enableQueue.getJobCounts('wait', 'prioritized')
  const stillWaiting = (left.wait ?? 0) + (left.prioritized ?? 0)
  t.ok(stillWaiting > BACKLOG * 0.8, `the opposition went first: ${stillWaiting} enablements still waiting when Izly acknowledged it`)
})
