// Drill: a permanent router error puts the ESC work in "needs attention" with the router's code and
// message (and a metric), is not retried on its own, and is delivered by a replay once fixed.
import t from 'tap'
import { startTestGateway } from '../helpers/gateway.ts'
import { escCalls, escCard, escCardEvent, esiOf, testEsc } from '../helpers/esc.ts'
import { izlyCard, testIzly } from '../helpers/izly.ts'
import { uniquePrefix } from '../helpers/redis.ts'
import { driveToRest } from '../helpers/rest.ts'
import { waitFor } from '../helpers/wait.ts'

t.test('a 400 from the router waits in "needs attention" with its code until replayed after a fix', async (t) => {
  const izly = await testIzly(t)
  const esc = await testEsc(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, escEndpoint: esc.endpoint })
  const enabled = escCardEvent({ state: 'ENABLED' })
  const { id: cardId } = enabled.card
  const esi = esiOf(enabled)
  const fault = esc.scriptFault({ operation: 'create', httpStatus: 400, code: 'ER-0007', message: 'Invalid email address', esi })

  await gateway.post(enabled)
  const entry = await waitFor('the attention entry', async () => (await gateway.admin('GET', '/admin/v1/attention')).body.entries[0])
  t.match(entry, { downstream: 'esc', cardId, code: 'ER-0007', httpStatus: 400, lane: 'enable', version: 1, message: /HTTP 400 ER-0007 \(Invalid email address\)/ })
  await waitFor('Izly to register the card too', () => izlyCard(izly, enabled.card.crous?.idZdc as string)?.opposed === false)
  await driveToRest(gateway) // jobs done, sweeps run: a permanent fault is not retried on its own
  t.equal(escCalls(esc, 'create', { esi }, { all: true }).length, 1, 'tried once, not hammered')
  await waitFor('Izly goes its own way', () => izlyCard(izly, enabled.card.crous?.idZdc as string)?.opposed === false)

  const metrics = await gateway.app.inject({ method: 'GET', url: '/metrics' })
  t.match(metrics.body, /leocarte_needs_attention\{downstream="esc"\} 1/)
  // A code the gateway does not know is OTHER as a label (bounded label sets); the entry keeps the router's own.
  t.match(metrics.body, /leocarte_sync_outcomes_total\{downstream="esc",lane="enable",outcome="permanent-fault",code="OTHER"\} 1/)
  t.match((await gateway.admin('GET', `/admin/v1/cards/${cardId}`)).body.downstreams, { esc: { inLine: false, needsAttention: { code: 'ER-0007' } }, izly: { needsAttention: null } })

  t.equal((await gateway.admin('POST', `/admin/v1/attention/esc/${cardId}/replay`)).status, 202)
  await waitFor('the entry again, the cause being still there', async () => escCalls(esc, 'create', { esi }, { all: true }).length === 2 && (await gateway.admin('GET', '/admin/v1/attention')).body.count === 1)

  esc.removeFault(fault.id)
  t.equal((await gateway.admin('POST', `/admin/v1/attention/esc/${cardId}/replay`)).status, 202)
  await waitFor('the registration', () => escCard(esc, enabled.card.escn as string)?.status === 'ACTIVE')
  t.equal((await gateway.admin('GET', '/admin/v1/attention')).body.count, 0)
  const timeline = (await gateway.admin('GET', `/admin/v1/cards/${cardId}/timeline`)).body.entries as Array<Record<string, unknown>>
  t.ok(timeline.some((line) => line.type === 'fault' && line.code === 'ER-0007') && timeline.some((line) => line.type === 'replay' && line.downstream === 'esc'))
})

t.test('a token the router refuses (401 SE-0000) is retried for DOUBTFUL_FAULT_MAX_MS, then waits for the operator, who fixes it and replays', async (t) => {
  const izly = await testIzly(t)
  const esc = await testEsc(t)
  const prefix = uniquePrefix()
  const stale = await startTestGateway(t, { izlyEndpoint: izly.url, escEndpoint: { ...esc.endpoint, token: 'revoked-token' }, prefix, cleanup: false, extra: { DOUBTFUL_FAULT_MAX_MS: '1500' } })
  const enabled = escCardEvent({ state: 'ENABLED' })
  await stale.post(enabled)
  const entry = await waitFor('the attention entry', async () => (await stale.admin('GET', '/admin/v1/attention')).body.entries[0])
  t.match(entry, { downstream: 'esc', cardId: enabled.card.id, code: 'SE-0000', httpStatus: 401, message: /DOUBTFUL_FAULT_MAX_MS/ })
  t.ok(escCalls(esc, 'create', {}, { all: true }).length > 1, 'retried first: a token may be mid-rotation')
  const timeline = (await stale.admin('GET', `/admin/v1/cards/${enabled.card.id}/timeline`)).body.entries as Array<Record<string, unknown>>
  t.match(timeline.filter((line) => line.type === 'fault' && line.downstream === 'esc'), [{ code: 'SE-0000', transient: true, count: Number }], 'the retries are one coalesced fault line')
  await stale.close()

  // The operator sets the right ESC_ROUTER_TOKEN, restarts, and replays every entry the token caused.
  const fixed = await startTestGateway(t, { izlyEndpoint: izly.url, escEndpoint: esc.endpoint, prefix })
  await driveToRest(fixed)
  t.equal(escCard(esc, enabled.card.escn as string), undefined, 'a restart alone does not retry it')
  t.match((await fixed.admin('POST', '/admin/v1/attention/esc/replay?code=SE-0000')).body, { replayed: 1 })
  await waitFor('the registration', () => escCard(esc, enabled.card.escn as string)?.status === 'ACTIVE')
  t.equal((await fixed.admin('GET', '/admin/v1/attention')).body.count, 0)
})

t.test('data the router would refuse is not sent, needs a human, and a corrected SGC event clears it', async (t) => {
  const izly = await testIzly(t)
  const esc = await testEsc(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, escEndpoint: esc.endpoint })
  // An ESCN minted for another PIC.
  const foreign = escCardEvent({ state: 'ENABLED', escn: '50228de1-8944-1038-a3d5-001999465982' })
  await gateway.post(foreign)
  const entry = await waitFor('the attention entry', async () => (await gateway.admin('GET', '/admin/v1/attention')).body.entries[0])
  t.match(entry, { downstream: 'esc', cardId: foreign.card.id, code: 'ESC_INVALID_DATA', field: 'card.cardNumber', message: /issuer PIC 999859608/ })
  t.same(esc.listCalls(), [], 'nothing was sent')

  const corrected = escCardEvent({ cardId: foreign.card.id, eppn: foreign.holder.eppn, state: 'ENABLED', occurredAt: new Date(Date.parse(foreign.occurredAt) + 60_000).toISOString() })
  await gateway.post(corrected)
  await waitFor('the corrected card at the router', () => escCard(esc, corrected.card.escn as string)?.status === 'ACTIVE')
  await waitFor('the entry cleared', async () => (await gateway.admin('GET', '/admin/v1/attention')).body.count === 0)
})
