// Not every 200 is final, and not every 401 is a human's problem: answers that may pass (a proxy's
// maintenance page served with 200, a refused credential) are transient for DOUBTFUL_FAULT_MAX_MS, then
// need attention with a clear code; an operator then replays every entry of one downstream and code at once.
import t from 'tap'
import { cardEvent } from '../fixtures/card-events.ts'
import { breakerOpen } from '../helpers/breaker.ts'
import { escCard, escCardEvent, testEsc } from '../helpers/esc.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { forEachIzlyTransport, izlyCard, seededOppositions, testIzly } from '../helpers/izly.ts'
import { waitFor } from '../helpers/wait.ts'

function lostCards (izly: Awaited<ReturnType<typeof testIzly>>, count: number): Array<{ idZdc: string, event: ReturnType<typeof cardEvent> }> {
  return seededOppositions(izly, count).map((event) => ({ idZdc: event.card.crous?.idZdc as string, event }))
}

forEachIzlyTransport(t, 'a proxy maintenance page served with 200 is a passing state: the oppositions wait, nobody is asked, and they arrive once Izly is back', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint })
  const cards = lostCards(izly, 6)
  izly.setOutage('page200')
  for (const { event } of cards) t.equal((await gateway.post(event)).status, 202)
  await waitFor('the breaker to open on the maintenance page', async () => await breakerOpen(gateway, 'izly'))
  t.equal((await gateway.admin('GET', '/admin/v1/attention')).body.count, 0, 'nothing waits for a human')
  const faults = (await gateway.admin('GET', `/admin/v1/cards/${cards[0]?.event.card.id ?? ''}/timeline`)).body.entries.filter((entry: { type: string }) => entry.type === 'fault')
  t.match(faults, [{ code: 'INVALID_RESPONSE', transient: true }])
  izly.setOutage('off')
  await waitFor('every opposition', () => cards.every(({ idZdc }) => izlyCard(izly, idZdc)?.opposed === true), 30_000)
})

forEachIzlyTransport(t, 'a maintenance page that lasts past DOUBTFUL_FAULT_MAX_MS needs attention (INVALID_RESPONSE); one replay by code delivers every card once fixed', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint, extra: { DOUBTFUL_FAULT_MAX_MS: '1000' } })
  const cards = lostCards(izly, 6)
  izly.setOutage('page200')
  t.equal((await gateway.postBatch(cards.map(({ event }) => event))).status, 202)
  const entries = await waitFor('every card in needs attention', async () => {
    const list = (await gateway.admin('GET', '/admin/v1/attention?downstream=izly&code=INVALID_RESPONSE')).body
    return list.count === cards.length ? list.entries : undefined
  }, 30_000)
  t.match(entries[0], { code: 'INVALID_RESPONSE', lane: 'oppose', message: /DOUBTFUL_FAULT_MAX_MS/ })
  const metrics = await gateway.app.inject({ method: 'GET', url: '/metrics' })
  t.match(metrics.body, /leocarte_needs_attention\{downstream="izly"\} 6/)
  t.match(metrics.body, /leocarte_breaker_doubtful_seconds\{downstream="izly"\} [1-9]/, 'the doubt is exported')

  izly.setOutage('off')
  t.match((await gateway.admin('POST', '/admin/v1/attention/izly/replay?code=INVALID_RESPONSE')).body, { downstream: 'izly', code: 'INVALID_RESPONSE', replayed: cards.length })
  await waitFor('every opposition after the replay', () => cards.every(({ idZdc }) => izlyCard(izly, idZdc)?.opposed === true), 30_000)
  await waitFor('no entry left', async () => (await gateway.admin('GET', '/admin/v1/attention')).body.count === 0)
})

forEachIzlyTransport(t, 'Izly refusing the credentials (401) for a while is retried, not parked for a human', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint })
  const [card] = lostCards(izly, 1)
  if (card === undefined) throw new Error('no card')
  izly.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 401, times: 3 })
  await gateway.post(card.event)
  await waitFor('the opposition once the credential is accepted again', () => izlyCard(izly, card.idZdc)?.opposed === true)
  t.equal(izly.calls.filter((call) => call.operation === 'OpposeSmartCard' && call.httpStatus === 401).length, 3)
  t.equal((await gateway.admin('GET', '/admin/v1/attention')).body.count, 0)
})

t.test('a 200 from the router that is not its JSON (a maintenance page) is no success: the card reaches the router once it is back', async (t) => {
  const izly = await testIzly(t)
  const esc = await testEsc(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, escEndpoint: esc.endpoint })
  esc.setOutage('page200')
  const enabled = escCardEvent({ state: 'ENABLED' })
  await gateway.post(enabled)
  await waitFor('the ESC breaker to open', async () => await breakerOpen(gateway, 'esc'))
  const view = await gateway.admin('GET', `/admin/v1/cards/${enabled.card.id}`)
  t.match(view.body.downstreams.esc, { inLine: false, needsAttention: null }, 'not taken for a registration')
  esc.setOutage('off')
  await waitFor('the card at the router', () => escCard(esc, enabled.card.escn as string)?.status === 'ACTIVE', 30_000)
})
