// How ESUP-SGC's ESC calls become card events (pure): what is kept of the card held, and when an event
// is dated so that it is applied, or may be late.
import t from 'tap'
import { type CardRecord, mergeEvent } from '../../../src/domain/card-record.ts'
import { cardDeleteEvent, cardWriteEvent, consentWithdrawnEvent, escFacadeCardId, personUpdateEvent } from '../../../src/facade/esc-router/card-events.ts'
import { escCardEvent } from '../../helpers/esc.ts'

const NOW = Date.parse('2026-12-01T10:00:00Z')
const AHEAD = '2026-12-01T10:03:00Z'
const context = { eventId: 'esc-facade-test', nowMs: NOW }

function held (state: 'ENABLED' | 'DISABLED', occurredAt = AHEAD): CardRecord {
  const event = escCardEvent({ state, occurredAt, ...(state === 'DISABLED' ? { disableReason: 'THEFT' } : {}) })
  const merged = mergeEvent(undefined, event, NOW)
  if (!merged.applied) throw new Error('not applied')
  return merged.record
}

function apply (current: CardRecord, event: ReturnType<typeof cardDeleteEvent>): CardRecord {
  if (event === undefined) throw new Error('no event')
  const merged = mergeEvent(current, event, NOW)
  if (!merged.applied) throw new Error('late')
  return merged.record
}

t.test('a DELETE of an opposed card keeps its state and reason, dated after it, and asks the router for a DELETE', async (t) => {
  const current = held('DISABLED')
  const event = cardDeleteEvent(current.card.escn as string, current, context)
  const after = apply(current, event)
  t.equal(after.card.state, 'DISABLED')
  t.equal(after.card.disableReason, 'THEFT', 'the CROUS reason is not lost')
  t.equal(after.card.escOnDisable, 'delete')
  t.ok(Date.parse(event?.occurredAt ?? '') > Date.parse(AHEAD), 'dated after a state set a little ahead of the gateway\'s clock')
  t.equal(cardDeleteEvent(current.card.escn as string, after, context), undefined, 'the same DELETE again changes nothing')
})

t.test('a DELETE of an enabled or unknown card disables it', async (t) => {
  const current = held('ENABLED')
  t.equal(apply(current, cardDeleteEvent(current.card.escn as string, current, context)).card.state, 'DISABLED')
  const escn = '01234567-89ab-1cde-8f01-001999859608'
  const unknown = cardDeleteEvent(escn, undefined, context)
  t.match(unknown, { card: { id: escFacadeCardId(escn), state: 'DISABLED', escOnDisable: 'delete' }, holder: { consents: { crous: false, esc: true } } })
})

t.test('a card POST re-enabling an opposed card takes the plain clock: it never undoes a newer opposition', async (t) => {
  const current = held('DISABLED')
  const card = { escn: current.card.escn as string, active: true, esi: 'urn:schac:personalUniqueCode:int:esi:fr:0123456789A' }
  const event = cardWriteEvent(card, current, undefined, context)
  t.equal(event?.occurredAt, new Date(NOW).toISOString())
  t.notOk(mergeEvent(current, event as NonNullable<typeof event>, NOW).applied, 'older than the opposition held: not applied')
  const enabled = held('ENABLED')
  const added = cardWriteEvent({ ...card, escn: enabled.card.escn as string, issuedAt: '2026-09-02' }, enabled, undefined, context)
  t.equal(apply(enabled, added).card.issuedAt, '2026-09-02', 'on an enabled card the ESC data is applied, dated after the state held')
})

t.test('a person DELETE withdraws consent and keeps the state; a person PUT updates only the router\'s copy', async (t) => {
  const current = held('DISABLED')
  const withdrawn = apply(current, consentWithdrawnEvent(current, context))
  t.same(withdrawn.holder.consents, { crous: true, esc: false })
  t.equal(withdrawn.card.disableReason, 'THEFT')
  t.equal(consentWithdrawnEvent(withdrawn, context), undefined, 'again: nothing')
  const enabled = held('ENABLED')
  const person = { esi: enabled.holder.esi ?? 'urn:schac:personalUniqueCode:int:esi:fr:0123456789A', fullName: 'C. Martin', email: 'new@etu.example.fr', pic: '999859608' }
  const updated = apply(enabled, personUpdateEvent(person, enabled, context))
  t.same(updated.holder.escPerson, { fullName: 'C. Martin', email: 'new@etu.example.fr' })
  t.equal(updated.holder.email, enabled.holder.email, 'Izly\'s e-mail untouched')
  t.equal(personUpdateEvent(person, updated, context), undefined, 'the same person again: no event')
  t.equal(personUpdateEvent(person, current, context), undefined, 'a disabled card holds no person at the router')
})
