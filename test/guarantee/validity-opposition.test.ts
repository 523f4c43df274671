// SPEC §7: an opposition is reflected the moment its event is accepted, before Izly has been reached.
// The gateway here runs the API only: no worker exists that could have synced anything.
import t from 'tap'
import { cardEvent } from '../fixtures/card-events.ts'
import { escnOf } from '../helpers/router-status-stub.ts'
import { checkEnvelope, startValidityGateway } from '../helpers/validity.ts'

t.test('the very next validity query after an accepted opposition answers valid: false with its reason', async (t) => {
  const gateway = await startValidityGateway(t, { role: 'api' })
  t.equal(gateway.workers.length, 0, 'no sync worker in this process')
  const enabled = cardEvent({ state: 'ENABLED', occurredAt: '2026-11-28T09:00:00+01:00' })
  enabled.card.escn = escnOf(9001, '999900001')
  const { id: cardId, csn, escn } = enabled.card
  const idZdc = enabled.card.crous?.idZdc as string
  t.equal((await gateway.post(enabled)).status, 202)
  t.match(await gateway.rest(`/crous/v1/cards/${csn}/validity`), { status: 200, body: { valid: true } })

  for (const [reason, at] of [['LOST', '10:00'], ['THEFT', '11:00'], ['OUT_OF_ORDER', '12:00']] as const) {
    const occurredAt = `2026-11-28T${at}:00+01:00`
    t.equal((await gateway.post(cardEvent({ cardId, state: 'DISABLED', disableReason: reason, occurredAt }))).status, 202)
    // No wait, no polling: the next request.
    for (const id of [csn, idZdc, escn]) {
      t.match(await gateway.rest(`/crous/v1/cards/${id}/validity`), { status: 200, body: { valid: false, state: 'DISABLED', reason, since: occurredAt, source: 'registry' } }, `REST by ${id}: ${reason}`)
    }
    const soap = await gateway.soap(checkEnvelope(idZdc, { auth: 'PasswordDigest' }))
    t.match(soap.body, `<valid>false</valid><state>DISABLED</state><reason>${reason}</reason><since>${occurredAt}</since>`, `SOAP: ${reason}`)
  }

  t.equal((await gateway.post(cardEvent({ cardId, state: 'CADUC', occurredAt: '2026-11-28T13:00:00+01:00' }))).status, 202)
  t.match(await gateway.rest(`/crous/v1/validity?qr=${encodeURIComponent(`https://s.esc-r.eu/${escn}`)}`), { body: { valid: false, state: 'CADUC', reason: 'CADUC' } })

  const view = await gateway.admin('GET', `/admin/v1/cards/${cardId}`)
  t.match(view.body.downstreams.izly, { confirmedVersion: 0, inLine: false }, 'Izly has not been reached: the answer came from intake alone')
})

t.test('a late event does not make an opposed card valid again', async (t) => {
  const gateway = await startValidityGateway(t, { role: 'api' })
  const disabled = cardEvent({ state: 'DISABLED', disableReason: 'THEFT', occurredAt: '2026-11-28T10:00:00+01:00' })
  await gateway.post(disabled)
  await gateway.post(cardEvent({ cardId: disabled.card.id, state: 'ENABLED', occurredAt: '2026-11-28T09:00:00+01:00' }))
  t.match(await gateway.rest(`/crous/v1/cards/${disabled.card.csn}/validity`), { body: { valid: false, reason: 'THEFT' } })
})
