// Drill: Izly and the ESC Router progress independently. Each downstream has its own queues, workers
// and card leases, so one being down or hanging never delays the other, in either direction.
import t from 'tap'
import { startTestGateway } from '../helpers/gateway.ts'
import { escCard, escCardEvent, testEsc } from '../helpers/esc.ts'
import { izlyCard, seedCard, forEachIzlyTransport, testIzly } from '../helpers/izly.ts'
import { waitFor } from '../helpers/wait.ts'

forEachIzlyTransport(t, 'Izly down: registrations and deactivations reach the router all the same', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const esc = await testEsc(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint, escEndpoint: esc.endpoint })
  izly.setOutage('http503')
  const enabled = Array.from({ length: 10 }, () => escCardEvent({ state: 'ENABLED' }))
  const disabled = Array.from({ length: 10 }, () => escCardEvent({ state: 'ENABLED' }))
  for (const event of [...enabled, ...disabled]) await gateway.post(event)
  await waitFor('every card at the router', () => [...enabled, ...disabled].every((event) => escCard(esc, event.card.escn as string)?.status === 'ACTIVE'))
  for (const event of disabled) {
    seedCard(izly, event)
    await gateway.post(escCardEvent({ cardId: event.card.id, eppn: event.holder.eppn, state: 'DISABLED', disableReason: 'THEFT', occurredAt: new Date(Date.parse(event.occurredAt) + 60_000).toISOString() }))
  }
  await waitFor('every deactivation at the router', () => disabled.every((event) => escCard(esc, event.card.escn as string)?.status === 'INACTIVE'))
  t.ok(izly.calls.filter((call) => call.code === 'outage').length > 0, 'Izly was being retried meanwhile')
  t.ok(disabled.every((event) => izlyCard(izly, event.card.crous?.idZdc as string)?.opposed === false), 'and had received nothing')

  izly.setOutage('off')
  await waitFor('Izly catches up', () => disabled.every((event) => izlyCard(izly, event.card.crous?.idZdc as string)?.opposed === true), 20_000)
})

forEachIzlyTransport(t, 'the router hanging past the timeout: Izly registrations and oppositions are not delayed', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const esc = await testEsc(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint, escEndpoint: esc.endpoint, extra: { ESC_TIMEOUT_MS: '1000' } })
  esc.setLatency(10_000)
  const enabled = Array.from({ length: 12 }, () => escCardEvent({ state: 'ENABLED' }))
  const lost = Array.from({ length: 12 }, () => escCardEvent({ state: 'ENABLED' }))
  for (const event of lost) seedCard(izly, event)
  const started = Date.now()
  for (const event of enabled) await gateway.post(event)
  for (const event of lost) await gateway.post(escCardEvent({ cardId: event.card.id, eppn: event.holder.eppn, state: 'DISABLED', disableReason: 'LOST' }))
  await waitFor('every registration and opposition at Izly', () =>
    enabled.every((event) => izlyCard(izly, event.card.crous?.idZdc as string)?.opposed === false) &&
    lost.every((event) => izlyCard(izly, event.card.crous?.idZdc as string)?.opposed === true))
  t.comment(`Izly was done in ${Date.now() - started} ms while every ESC call hung (shared machine)`)
  t.equal(esc.state.cards.size, 0, 'Izly finished while the router had completed nothing: ESC work never held Izly back')

  esc.setLatency(0)
  // A call the client gave up on may still land later: the 409 → PUT path absorbs it.
  await waitFor('the router catches up', () => enabled.every((event) => escCard(esc, event.card.escn as string)?.status === 'ACTIVE'), 30_000)
})
