import t from 'tap'
import { canonicalEventTime, parseEventTime } from '../../src/domain/event-time.ts'

t.test('RFC 3339 date-times are read exactly, offsets as instants', async (t) => {
  t.equal(parseEventTime('2026-11-28T10:00:00+01:00'), Date.parse('2026-11-28T09:00:00Z'))
  t.equal(parseEventTime('2026-11-28T09:00:00.1234Z'), Date.parse('2026-11-28T09:00:00.123Z'), 'fractions past the millisecond are cut')
  t.equal(parseEventTime('2026-11-28t09:00:00z'), Date.parse('2026-11-28T09:00:00Z'), 'either case')
  t.equal(parseEventTime('2026-11-28 09:00:00-05:30'), Date.parse('2026-11-28T14:30:00Z'), 'a space separator, a negative half-hour offset')
  t.equal(new Date(parseEventTime('0099-01-01T00:00:00Z') ?? 0).getUTCFullYear(), 99, 'years below 100 are not read as 19xx')
})

t.test('a leap second is the last millisecond of its minute, in any offset', async (t) => {
  t.equal(parseEventTime('2016-12-31T23:59:60Z'), Date.parse('2016-12-31T23:59:59.999Z'))
  t.equal(parseEventTime('2017-01-01T00:59:60+01:00'), Date.parse('2016-12-31T23:59:59.999Z'))
  t.equal(parseEventTime('2016-12-31T23:59:60.5Z'), Date.parse('2016-12-31T23:59:59.999Z'))
  t.equal(canonicalEventTime('2016-12-31T23:59:60Z'), '2016-12-31T23:59:59.999Z', 'written so that an xs:dateTime (no second 60) reads it')
  t.equal(canonicalEventTime('2017-01-01 00:59:60.25+01:00'), '2017-01-01T00:59:59.999+01:00')
})

t.test('what is not a date-time is undefined, never NaN', async (t) => {
  for (const text of ['2026-02-29T10:00:00Z', '2026-13-01T10:00:00Z', '2026-04-31T10:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T10:60:00Z', '2026-01-01T10:00:61Z', '2026-01-01T10:00:00', '2026-01-01T10:00:00+24:00', 'soon', '']) {
    t.equal(parseEventTime(text), undefined, text)
    t.equal(canonicalEventTime(text), undefined, text)
  }
  t.equal(parseEventTime('2024-02-29T10:00:00Z'), Date.parse('2024-02-29T10:00:00Z'), 'a real leap day')
})

t.test('the canonical spelling keeps the instant and the sender offset', async (t) => {
  t.equal(canonicalEventTime('2026-11-28t10:00:00.120+01:00'), '2026-11-28T10:00:00.120+01:00')
  t.equal(canonicalEventTime('2026-11-28T10:00:00+0100'), '2026-11-28T10:00:00+01:00')
  t.equal(canonicalEventTime('2026-11-28T10:00:00z'), '2026-11-28T10:00:00Z')
  t.equal(canonicalEventTime('2026-11-28T10:00:00-00:00'), '2026-11-28T10:00:00-00:00', 'an unknown local offset stays one')
})
