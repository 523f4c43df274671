// Drill (API CROUS transport): the token server is down, then refuses the credentials, then is back.
// No call can be made without a token: every opposition waits, none is parked for a human, and all
// arrive once a token can be had again, on one token for all of them.
import t from 'tap'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { izlyCard, seedCard, seededOppositions, testIzly } from '../helpers/izly.ts'
import { waitFor } from '../helpers/wait.ts'

t.test('oppositions accepted while the API CROUS token server is down all arrive once it is back', async (t) => {
  const izly = await testIzly(t, 'rest')
  const down = izly.scriptFault({ operation: 'Token', httpStatus: 503 })
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint })
  const cards = Array.from({ length: 20 }, () => {
    const enabled = cardEvent({ state: 'ENABLED' })
    seedCard(izly, enabled)
    return { idZdc: enabled.card.crous?.idZdc as string, event: cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'THEFT' }) }
  })
  for (const { event } of cards) t.equal((await gateway.post(event)).status, 202)

  const tokenTries = (status: number): number => izly.listCalls().filter((call) => call.operation === 'Token' && call.httpStatus === status).length
  await waitFor('retries against the token server', () => tokenTries(503) >= 10)
  izly.removeFault(down.id)
  const refusing = izly.scriptFault({ operation: 'Token', httpStatus: 401 })
  await waitFor('retries against refused credentials', () => tokenTries(401) >= 5)
  t.equal(izly.listCalls().filter((call) => call.operation === 'OpposeSmartCard').length, 0, 'no API call went out without a token')
  t.equal((await gateway.admin('GET', '/admin/v1/attention')).body.count, 0, 'a token server failing is transient: nothing waits for a human')
  const metrics = await gateway.app.inject({ method: 'GET', url: '/metrics' })
  t.match(metrics.body, /leocarte_sync_outcomes_total\{downstream="izly",lane="oppose",outcome="transient-fault",code="TOKEN_HTTP_503"\} \d+/)

  izly.removeFault(refusing.id)
  await waitFor('every opposition', () => cards.every(({ idZdc }) => izlyCard(izly, idZdc)?.opposed === true), 20_000)
  for (const { idZdc } of cards) t.equal(izlyCard(izly, idZdc)?.reason, 'DV')
  t.equal(tokenTries(200), 1, 'once back, one token served every opposition')
})

t.test('a token server refusing the credentials past DOUBTFUL_FAULT_MAX_MS parks the oppositions for a human (TOKEN_HTTP_401); one replay by code delivers them once fixed', async (t) => {
  const izly = await testIzly(t, 'rest')
  const refusing = izly.scriptFault({ operation: 'Token', httpStatus: 401 })
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint, extra: { DOUBTFUL_FAULT_MAX_MS: '1000' } })
  const cards = seededOppositions(izly, 5).map((event) => ({ idZdc: event.card.crous?.idZdc as string, event }))
  t.equal((await gateway.postBatch(cards.map(({ event }) => event))).status, 202)
  const entries = await waitFor('every card in needs attention', async () => {
    const list = (await gateway.admin('GET', '/admin/v1/attention?downstream=izly&code=TOKEN_HTTP_401')).body
    return list.count === cards.length ? list.entries : undefined
  }, 30_000)
  t.match(entries[0], { code: 'TOKEN_HTTP_401', lane: 'oppose', message: /IZLY_CLIENT_ID.*DOUBTFUL_FAULT_MAX_MS/ })
  t.equal(izly.listCalls().filter((call) => call.operation === 'OpposeSmartCard').length, 0, 'no API call went out without a token')

  izly.removeFault(refusing.id)
  t.match((await gateway.admin('POST', '/admin/v1/attention/izly/replay?code=TOKEN_HTTP_401')).body, { downstream: 'izly', code: 'TOKEN_HTTP_401', replayed: cards.length })
  await waitFor('every opposition after the replay', () => cards.every(({ idZdc }) => izlyCard(izly, idZdc)?.opposed === true), 30_000)
})

t.test('a token server down past DOUBTFUL_FAULT_MAX_MS is an outage, not a doubt: still retried, nobody asked', async (t) => {
  const izly = await testIzly(t, 'rest')
  const down = izly.scriptFault({ operation: 'Token', httpStatus: 503 })
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint, extra: { DOUBTFUL_FAULT_MAX_MS: '200' } })
  const enabled = cardEvent({ state: 'ENABLED' })
  seedCard(izly, enabled)
  const idZdc = enabled.card.crous?.idZdc as string
  t.equal((await gateway.post(cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'LOST' }))).status, 202)
  const tokenTries = (): Array<{ at: number }> => izly.listCalls().filter((call) => call.operation === 'Token' && call.httpStatus === 503)
  const firstTry = (await waitFor('a first token request', () => tokenTries()[0])).at
  // A try started past ten times DOUBTFUL_FAULT_MAX_MS, then one more: that late try's fault was judged
  // (and retried, not parked) before the next one could start.
  await waitFor('a try judged well past DOUBTFUL_FAULT_MAX_MS', () => tokenTries().filter((call) => call.at > firstTry + 2_000).length >= 2, 30_000)
  t.equal((await gateway.admin('GET', '/admin/v1/attention')).body.count, 0, 'an outage never needs attention')
  izly.removeFault(down.id)
  await waitFor('the opposition once the token server is back', () => izlyCard(izly, idZdc)?.opposed === true, 30_000)
})
