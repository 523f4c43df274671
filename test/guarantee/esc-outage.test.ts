// Drill: the ESC Router down for a while (503s, then connections dropped), then back. Izly deliveries
// go on meanwhile, nothing waits for a human, and once the router is back every card converges.
import t from 'tap'
import type { CardEvent } from '../../src/domain/card-event.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { escCard, escCardEvent, testEsc } from '../helpers/esc.ts'
import { izlyCard, forEachIzlyTransport, testIzly } from '../helpers/izly.ts'
import { breakerOpen } from '../helpers/breaker.ts'
import { waitFor } from '../helpers/wait.ts'

const idZdc = (event: CardEvent): string => event.card.crous?.idZdc as string

forEachIzlyTransport(t, 'the router down then back: Izly is not delayed, and every card converges at the router', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const esc = await testEsc(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint, escEndpoint: esc.endpoint })
  // Ten cards registered everywhere before the outage; ten more enabled during it.
  const before = Array.from({ length: 10 }, () => escCardEvent({ state: 'ENABLED', occurredAt: '2026-11-28T09:00:00+01:00' }))
  for (const event of before) await gateway.post(event)
  await waitFor('the first cards at the router', () => before.every((event) => escCard(esc, event.card.escn as string)?.status === 'ACTIVE'))

  esc.setOutage('http503')
  const during = Array.from({ length: 10 }, () => escCardEvent({ state: 'ENABLED', occurredAt: '2026-11-28T10:00:00+01:00' }))
  for (const event of during) t.equal((await gateway.post(event)).status, 202)
  const disabled = before.slice(0, 5)
  for (const event of disabled) {
    await gateway.post(escCardEvent({ cardId: event.card.id, eppn: event.holder.eppn, state: 'DISABLED', disableReason: 'LOST', occurredAt: '2026-11-28T10:00:00+01:00' }))
  }
  await waitFor('registrations and oppositions at Izly while the router is down', () =>
    during.every((event) => izlyCard(izly, idZdc(event))?.opposed === false) && disabled.every((event) => izlyCard(izly, idZdc(event))?.opposed === true))
  t.ok(during.every((event) => escCard(esc, event.card.escn as string) === undefined), 'the router got nothing meanwhile')
  t.ok(disabled.every((event) => escCard(esc, event.card.escn as string)?.status === 'ACTIVE'), 'and still shows the lost cards active')

  await waitFor('the breaker to open and probe', async () => esc.calls.filter((call) => call.code === 'outage').length >= 8 && await breakerOpen(gateway, 'esc'))
  esc.setOutage('reset')
  const probed = esc.calls.length
  await waitFor('probes against dropped connections', () => esc.calls.length >= probed + 2)
  t.equal((await gateway.admin('GET', '/admin/v1/attention')).body.count, 0, 'an outage is transient: nothing waits for a human')

  esc.setOutage('off')
  const expected = (event: CardEvent): string => disabled.includes(event) ? 'INACTIVE' : 'ACTIVE'
  await waitFor('every card at the router in its state', () => [...before, ...during].every((event) => escCard(esc, event.card.escn as string)?.status === expected(event)), 20_000)
  for (const event of [...before, ...during]) {
    const view = await gateway.admin('GET', `/admin/v1/cards/${event.card.id}`)
    t.match(view.body.downstreams, { esc: { inLine: true, remoteState: disabled.includes(event) ? 'opposed' : 'active' }, izly: { inLine: true } }, `card ${event.card.id} in line on both`)
  }
  const metrics = await gateway.app.inject({ method: 'GET', url: '/metrics' })
  t.match(metrics.body, /leocarte_sync_outcomes_total\{downstream="esc",lane="(oppose|enable)",outcome="transient-fault",code="HTTP_503"\} [1-9]/)
  t.match(metrics.body, /leocarte_opposition_lag_seconds_count\{downstream="esc"\} [1-9]/, 'the deactivations count in the opposition lag')
})
