// SPEC §3 event times: an occurredAt far ahead cannot freeze a card, a leap second orders correctly, ties go
// to the opposed state, and a late event is counted and answered applied: false. Nothing makes an opposed
// card usable again except a newer event. Intake alone decides (API role, no worker).
import t from 'tap'
import { signBody } from '../../src/intake/signature.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { TEST_SECRET } from '../helpers/gateway.ts'
import { startValidityGateway } from '../helpers/validity.ts'

t.test('an occurredAt far ahead of its signature is a 400 naming the field, so a later real DISABLED still applies', async (t) => {
  const gateway = await startValidityGateway(t, { role: 'api' })
  const enabled = cardEvent({ state: 'ENABLED', occurredAt: new Date(Date.now() - 60_000).toISOString() })
  t.match(await gateway.post(enabled), { status: 202, body: { applied: true } })
  const frozen = cardEvent({ cardId: enabled.card.id, state: 'ENABLED', occurredAt: '2099-01-01T00:00:00Z' })
  const refused = await gateway.post(frozen)
  t.equal(refused.status, 400)
  t.match(refused.body.errors, [{ field: 'occurredAt', message: /ahead of the signature time/ }])
  const batch = await gateway.postBatch([frozen])
  t.match(batch.body.results, [{ status: 'invalid', errors: [{ field: 'occurredAt' }] }], 'in a batch too')

  // Within the allowed 5 minutes ahead: accepted (clocks differ a little).
  t.match(await gateway.post(cardEvent({ cardId: enabled.card.id, state: 'ENABLED', occurredAt: new Date(Date.now() + 120_000).toISOString() })), { status: 202, body: { applied: true } })
  const lost = cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'LOST', occurredAt: new Date(Date.now() + 180_000).toISOString() })
  t.match(await gateway.post(lost), { status: 202, body: { applied: true } })
  t.match(await gateway.rest(`/crous/v1/cards/${enabled.card.csn}/validity`), { body: { valid: false, reason: 'LOST' } })
})

t.test('the bound is counted from the signature time, and configurable', async (t) => {
  const gateway = await startValidityGateway(t, { role: 'api', extra: { OCCURRED_AT_MAX_AHEAD_SECONDS: '10' } })
  const at = Math.floor(Date.now() / 1000)
  const event = cardEvent({ state: 'ENABLED', occurredAt: new Date((at + 60) * 1000).toISOString() })
  const body = JSON.stringify(event)
  const post = async (signedAt: number): Promise<number> => (await gateway.app.inject({ method: 'POST', url: '/sgc/v1/card-events', payload: body, headers: { 'content-type': 'application/json', 'x-signature': signBody(TEST_SECRET, body, signedAt) } })).statusCode
  t.equal(await post(at), 400, '60 s ahead of t with a 10 s bound')
  t.equal(await post(at + 55), 202, 'the same event signed 55 s later is 5 s ahead of its t')
})

t.test('a leap-second opposition orders as the last millisecond of its minute: a stale ENABLED is late, counted and answered applied: false', async (t) => {
  const gateway = await startValidityGateway(t, { role: 'api' })
  const enabled = cardEvent({ state: 'ENABLED', occurredAt: '2016-12-31T23:00:00Z' })
  await gateway.post(enabled)
  t.match(await gateway.post(cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'LOST', occurredAt: '2016-12-31T23:59:60Z' })), { status: 202, body: { applied: true } })
  const stale = await gateway.post(cardEvent({ cardId: enabled.card.id, state: 'ENABLED', occurredAt: '2016-12-31T23:59:59.500Z' }))
  t.match(stale, { status: 202, body: { duplicate: false, applied: false } }, 'kept in the history, not applied')
  const staleInBatch = await gateway.postBatch([cardEvent({ cardId: enabled.card.id, state: 'ENABLED', occurredAt: '2016-12-31T23:59:59Z' })])
  t.match(staleInBatch.body.results, [{ status: 'accepted', applied: false }])
  t.match(await gateway.rest(`/crous/v1/cards/${enabled.card.csn}/validity`), { body: { valid: false, reason: 'LOST', since: '2016-12-31T23:59:59.999Z' } })
  const view = await gateway.admin('GET', `/admin/v1/cards/${enabled.card.id}`)
  t.match(view.body, { version: 2, desired: { state: 'DISABLED' }, occurredAt: '2016-12-31T23:59:59.999Z' })
  const metrics = await gateway.app.inject({ method: 'GET', url: '/metrics' })
  t.match(metrics.body, /leocarte_late_events_total 2/)
})

t.test('two events at the same instant: the opposed state wins in either arrival order', async (t) => {
  const gateway = await startValidityGateway(t, { role: 'api' })
  const at = '2026-11-28T10:00:00+01:00'
  for (const order of [['DISABLED', 'ENABLED'], ['ENABLED', 'DISABLED']] as const) {
    const cardId = `tie-${order.join('-')}-${Date.now()}`
    for (const state of order) await gateway.post(cardEvent({ cardId, state, ...(state === 'DISABLED' ? { disableReason: 'THEFT' as const } : {}), occurredAt: at }))
    t.match(await gateway.rest(`/crous/v1/cards/${cardEvent({ cardId }).card.csn}/validity`), { body: { valid: false, reason: 'THEFT' } }, `${order.join(' then ')}: opposed`)
  }
})
