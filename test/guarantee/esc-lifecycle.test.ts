// SPEC §4, ESC column, end to end: signed SGC events through intake, Redis, the esc lanes and the
// client, to the ESC Router simulator (which validates every request against the same document).
import t from 'tap'
import type { CardEvent } from '../../src/domain/card-event.ts'
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts'
import { escCalls, escCard, escCardEvent, esiOf, hasEscPerson, testEsc } from '../helpers/esc.ts'
import { izlyCard, testIzly } from '../helpers/izly.ts'
import { driveToRest } from '../helpers/rest.ts'
import { waitFor } from '../helpers/wait.ts'

/** The card's ESC sync status once it is in line with version `version`. */
async function escInLine (gateway: TestGateway, cardId: string, version: number): Promise<Record<string, any>> {
  return await waitFor(`ESC sync of ${cardId} at version ${version}`, async () => {
    const view = await gateway.admin('GET', `/admin/v1/cards/${cardId}`)
    const esc = view.body.downstreams?.esc
    return esc?.inLine === true && esc.confirmedVersion === version ? esc : undefined
  })
}

function later (event: CardEvent, minutes: number): string {
  return new Date(Date.parse(event.occurredAt) + minutes * 60_000).toISOString()
}

t.test('enable, enable again (409 → PUT), disable (INACTIVE), re-enable', async (t) => {
  const izly = await testIzly(t)
  const esc = await testEsc(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, escEndpoint: esc.endpoint })
  const enabled = escCardEvent({ state: 'ENABLED', occurredAt: '2026-11-28T09:00:00+01:00' })
  const { id: cardId } = enabled.card
  const escn = enabled.card.escn as string
  const esi = esiOf(enabled)

  t.equal((await gateway.post(enabled)).status, 202)
  t.match(await escInLine(gateway, cardId, 1), { remoteState: 'active', outcome: 'registered', needsAttention: null })
  t.ok(hasEscPerson(esc, esi), 'the person was created')
  t.match(escCard(esc, escn), { status: 'ACTIVE', personIdentifier: esi, expiresAt: '2030-08-31' })
  t.equal(escCalls(esc, 'create', { esi }).length, 1)
  t.equal(escCalls(esc, 'create_1', { escn }).length, 1)
  await waitFor('Izly too', () => izlyCard(izly, enabled.card.crous?.idZdc as string)?.opposed === false)

  const again = escCardEvent({ cardId, eppn: enabled.holder.eppn, state: 'ENABLED', occurredAt: later(enabled, 60) })
  again.holder.email = 'c.martin@etu.univ-rouen.fr'
  await gateway.post(again)
  t.match(await escInLine(gateway, cardId, 2), { remoteState: 'active', outcome: 'updated' })
  t.same(esc.listCalls().slice(-4).map((call) => `${call.operation} ${call.httpStatus}${call.code === undefined ? '' : ` ${call.code}`}`),
    ['create 409 ER-0019', 'update 200', 'create_1 409 ER-0002', 'update_1 200'], 'POST, 409, then PUT of the complete object')
  t.equal(esc.state.persons.get(esi.toLowerCase())?.enrolments[0]?.email, 'c.martin@etu.univ-rouen.fr', 'the PUT carried the change')

  await gateway.post(escCardEvent({ cardId, eppn: enabled.holder.eppn, state: 'DISABLED', disableReason: 'LOST', occurredAt: later(enabled, 120) }))
  t.match(await escInLine(gateway, cardId, 3), { remoteState: 'opposed', outcome: 'deactivated' })
  t.match(escCard(esc, escn), { status: 'INACTIVE' })
  t.match(escCalls(esc, 'update_1', { escn }).at(-1), { cardStatusType: 'INACTIVE' })
  t.ok(hasEscPerson(esc, esi), 'a disabled card keeps its person')

  await gateway.post(escCardEvent({ cardId, eppn: enabled.holder.eppn, state: 'ENABLED', occurredAt: later(enabled, 180) }))
  t.match(await escInLine(gateway, cardId, 4), { remoteState: 'active' })
  t.match(escCard(esc, escn), { status: 'ACTIVE' })

  const timeline = (await gateway.admin('GET', `/admin/v1/cards/${cardId}/timeline`)).body.entries as Array<Record<string, unknown>>
  t.ok(timeline.some((entry) => entry.type === 'call' && entry.downstream === 'esc' && entry.operation === 'upsert card'), 'the ESC calls are in the timeline')
  const shown = JSON.stringify([timeline, (await gateway.admin('GET', `/admin/v1/cards/${cardId}`)).body])
  t.notMatch(shown, /urn:schac|Camille|Martin|martin@|2004-05-06/, 'no ESI, name or e-mail in the timeline or the admin view')
  t.notMatch(shown, new RegExp(enabled.holder.ine as string), 'nor the INE')
})

t.test('ESC_ON_DISABLE=delete: a disabled card is deleted, its person kept', async (t) => {
  const izly = await testIzly(t)
  const esc = await testEsc(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, escEndpoint: esc.endpoint, extra: { ESC_ON_DISABLE: 'delete' } })
  const enabled = escCardEvent({ state: 'ENABLED' })
  await gateway.post(enabled)
  await escInLine(gateway, enabled.card.id, 1)
  await gateway.post(escCardEvent({ cardId: enabled.card.id, eppn: enabled.holder.eppn, state: 'DISABLED', disableReason: 'THEFT', occurredAt: later(enabled, 1) }))
  t.match(await escInLine(gateway, enabled.card.id, 2), { remoteState: 'absent', outcome: 'card-deleted' })
  t.equal(escCard(esc, enabled.card.escn as string), undefined)
  t.ok(hasEscPerson(esc, esiOf(enabled)))
})

t.test('CADUC deletes the card, and the person once none of their cards is left active', async (t) => {
  const izly = await testIzly(t)
  const esc = await testEsc(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, escEndpoint: esc.endpoint })
  const eppn = `two-cards-${Date.now()}@univ-rouen.fr`
  const first = escCardEvent({ state: 'ENABLED', eppn })
  const second = escCardEvent({ state: 'ENABLED', eppn })
  const esi = esiOf(first)
  t.equal(esiOf(second), esi, 'one holder, one person')
  await gateway.post(first)
  await gateway.post(second)
  await escInLine(gateway, first.card.id, 1)
  await escInLine(gateway, second.card.id, 1)

  await gateway.post(escCardEvent({ cardId: first.card.id, eppn, state: 'CADUC', occurredAt: later(first, 1) }))
  t.match(await escInLine(gateway, first.card.id, 2), { remoteState: 'absent', outcome: 'card-deleted-person-kept' })
  t.equal(escCard(esc, first.card.escn as string), undefined)
  t.ok(hasEscPerson(esc, esi), 'the other card is still active: the person stays')
  t.match(escCard(esc, second.card.escn as string), { status: 'ACTIVE' })

  await gateway.post(escCardEvent({ cardId: second.card.id, eppn, state: 'CADUC', occurredAt: later(second, 2) }))
  t.match(await escInLine(gateway, second.card.id, 2), { remoteState: 'absent', outcome: 'card-and-person-deleted' })
  t.notOk(hasEscPerson(esc, esi), 'no card left active: the person is deleted')
  const order = esc.listCalls().filter((call) => call.operation === 'delete_1' ? call.escn === second.card.escn : call.operation === 'delete')
  t.same(order.map((call) => call.operation), ['delete_1', 'delete'], 'the card, then the person')
})

t.test('consent withdrawn: the person is deleted; Izly is not concerned', async (t) => {
  const izly = await testIzly(t)
  const esc = await testEsc(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, escEndpoint: esc.endpoint })
  const enabled = escCardEvent({ state: 'ENABLED' })
  await gateway.post(enabled)
  await escInLine(gateway, enabled.card.id, 1)
  const withdrawn = escCardEvent({ cardId: enabled.card.id, eppn: enabled.holder.eppn, state: 'ENABLED', escConsent: false, occurredAt: later(enabled, 1) })
  await gateway.post(withdrawn)
  t.match(await escInLine(gateway, enabled.card.id, 2), { remoteState: 'absent', outcome: 'person-deleted-consent-withdrawn' })
  t.notOk(hasEscPerson(esc, esiOf(enabled)))
  t.equal(escCard(esc, enabled.card.escn as string), undefined)
  t.equal(escCalls(esc, 'delete', { esi: esiOf(enabled) }).length, 1)
  t.equal(izlyCard(izly, enabled.card.crous?.idZdc as string)?.opposed, false, 'the card still works at CROUS')

  // Consent still withdrawn on the next event: nothing more is sent.
  const calls = esc.listCalls().length
  await gateway.post(escCardEvent({ cardId: enabled.card.id, eppn: enabled.holder.eppn, state: 'DISABLED', escConsent: false, occurredAt: later(enabled, 2) }))
  t.match(await escInLine(gateway, enabled.card.id, 3), { outcome: 'skipped-no-esc-consent' })
  t.equal(esc.listCalls().length, calls)
})

t.test('nothing is sent for a holder with no INE and no ESI, nor for an expired card; the status says why', async (t) => {
  const izly = await testIzly(t)
  const esc = await testEsc(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, escEndpoint: esc.endpoint })
  const noEsi = escCardEvent({ state: 'ENABLED', ine: null })
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)
  const expired = escCardEvent({ state: 'ENABLED', issuedAt: '2024-09-01', expiresAt: yesterday })
  await gateway.post(noEsi)
  await gateway.post(expired)
  t.match(await escInLine(gateway, noEsi.card.id, 1), { outcome: 'skipped-no-esi', remoteState: 'untouched', needsAttention: null })
  t.match(await escInLine(gateway, expired.card.id, 1), { outcome: 'skipped-card-expired', remoteState: 'untouched', needsAttention: null })
  await waitFor('Izly still registers both', () => [noEsi, expired].every((event) => izlyCard(izly, event.card.crous?.idZdc as string)?.opposed === false))
  await driveToRest(gateway)
  t.same(esc.listCalls(), [], 'the router heard nothing')
})

t.test('without an ESC endpoint the gateway has no ESC downstream: no ESC job, no ESC status, never an error', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url })
  const enabled = escCardEvent({ state: 'ENABLED' })
  await gateway.post(enabled)
  const view = await waitFor('the Izly sync', async () => {
    const answer = await gateway.admin('GET', `/admin/v1/cards/${enabled.card.id}`)
    return answer.body.downstreams.izly.inLine === true ? answer.body : undefined
  })
  t.same(Object.keys(view.downstreams), ['izly'], 'only Izly is tracked')
  t.equal((await gateway.admin('GET', '/admin/v1/attention')).body.count, 0)
  t.equal((await gateway.admin('POST', `/admin/v1/attention/esc/${enabled.card.id}/replay`)).status, 404, 'esc is not a downstream here')
})
