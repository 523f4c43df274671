import t from 'tap'
import { mergeEvent } from '../../src/domain/card-record.ts'
import { cardEvent } from '../fixtures/card-events.ts'

t.test('the first event creates version 1', async (t) => {
  const event = cardEvent({ state: 'ENABLED' })
  const merge = mergeEvent(undefined, event, 123)
  t.ok(merge.applied)
  if (!merge.applied) return
  t.equal(merge.record.version, 1)
  t.equal(merge.record.eventId, event.eventId)
  t.equal(merge.record.acceptedAtMs, 123)
})

t.test('a later event bumps the version and keeps the fields it omits', async (t) => {
  const first = mergeEvent(undefined, cardEvent({ cardId: 'c1', state: 'ENABLED', occurredAt: '2026-01-01T10:00:00Z' }), 1)
  if (!first.applied) throw new Error('unexpected')
  const disable = cardEvent({ cardId: 'c1', state: 'DISABLED', disableReason: 'LOST', occurredAt: '2026-01-01T11:00:00Z', withCrous: false })
  delete disable.card.csn
  const second = mergeEvent(first.record, disable, 2)
  t.ok(second.applied)
  if (!second.applied) return
  t.equal(second.record.version, 2)
  t.equal(second.record.card.state, 'DISABLED')
  t.equal(second.record.card.csn, first.record.card.csn, 'CSN kept')
  t.same(second.record.card.crous, first.record.card.crous, 'CROUS data kept')
})

t.test('an older event never rolls the card back', async (t) => {
  const disabled = mergeEvent(undefined, cardEvent({ cardId: 'c2', state: 'DISABLED', occurredAt: '2026-01-01T11:00:00+01:00' }), 1)
  if (!disabled.applied) throw new Error('unexpected')
  // 11:00+01:00 is 10:00Z: the comparison is between instants, not wall-clock digits.
  const enabledEarlier = cardEvent({ cardId: 'c2', state: 'ENABLED', occurredAt: '2026-01-01T09:59:59Z' })
  t.same(mergeEvent(disabled.record, enabledEarlier, 2), { applied: false, reason: 'late' })
  const enabledLater = cardEvent({ cardId: 'c2', state: 'ENABLED', occurredAt: '2026-01-01T10:00:01Z' })
  t.equal(mergeEvent(disabled.record, enabledLater, 3).applied, true, 'offsets are compared as instants')
})

t.test('same occurredAt: the opposed state wins, whatever the order they arrive in', async (t) => {
  const at = '2026-01-01T10:00:00Z'
  const enabled = mergeEvent(undefined, cardEvent({ cardId: 'c3', state: 'ENABLED', occurredAt: at }), 1)
  if (!enabled.applied) throw new Error('unexpected')
  const disabled = mergeEvent(enabled.record, cardEvent({ cardId: 'c3', state: 'DISABLED', occurredAt: at }), 2)
  t.equal(disabled.applied, true, 'ENABLED then DISABLED at the same instant: DISABLED applies')
  if (!disabled.applied) return
  t.same(mergeEvent(disabled.record, cardEvent({ cardId: 'c3', state: 'ENABLED', occurredAt: '2026-01-01T11:00:00+01:00' }), 3), { applied: false, reason: 'late' },
    'DISABLED then ENABLED at the same instant (another offset): ENABLED does not re-enable the card')
  const caduc = mergeEvent(disabled.record, cardEvent({ cardId: 'c3', state: 'CADUC', occurredAt: at }), 4)
  t.equal(caduc.applied, true, 'between two opposed states the later arrival wins')
  const ordinary = mergeEvent(enabled.record, cardEvent({ cardId: 'c3', state: 'ENCODED', occurredAt: at }), 5)
  t.equal(ordinary.applied, true, 'between two usable states too')
})

t.test('a leap second orders as the last millisecond of its minute: a stale ENABLED does not re-enable a LOST card', async (t) => {
  const lost = mergeEvent(undefined, cardEvent({ cardId: 'c5', state: 'DISABLED', disableReason: 'LOST', occurredAt: '2016-12-31T23:59:60Z' }), 1)
  if (!lost.applied) throw new Error('unexpected')
  t.equal(lost.record.occurredAtMs, Date.parse('2016-12-31T23:59:59.999Z'))
  t.same(mergeEvent(lost.record, cardEvent({ cardId: 'c5', state: 'ENABLED', occurredAt: '2016-12-31T23:59:59.500Z' }), 2), { applied: false, reason: 'late' })
  t.equal(mergeEvent(lost.record, cardEvent({ cardId: 'c5', state: 'ENABLED', occurredAt: '2017-01-01T00:00:00Z' }), 3).applied, true, 'a newer one does')
})

t.test('an occurredAt that is not a date-time is a bug the adapters stop, never a NaN that switches ordering off', async (t) => {
  t.throws(() => mergeEvent(undefined, cardEvent({ state: 'ENABLED', occurredAt: 'yesterday' }), 1), RangeError)
})

t.test('a re-enabled card drops the old disable reason', async (t) => {
  const a = mergeEvent(undefined, cardEvent({ cardId: 'c4', state: 'DISABLED', disableReason: 'THEFT', occurredAt: '2026-01-01T10:00:00Z' }), 1)
  if (!a.applied) throw new Error('unexpected')
  const b = mergeEvent(a.record, cardEvent({ cardId: 'c4', state: 'ENABLED', occurredAt: '2026-01-01T11:00:00Z' }), 2)
  if (!b.applied) throw new Error('unexpected')
  t.equal(b.record.card.disableReason, undefined)
})
