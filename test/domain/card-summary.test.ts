// The card view's plain-language line per downstream, as a table: what a support operator reads.
import t from 'tap'
import { activityOf, type DownstreamSituation, formatTime, summariseDownstream } from '../../src/domain/card-summary.ts'

// 2026-12-01 in Paris (UTC+1): 09:40 local is 08:40Z.
const at = (local: string): number => Date.parse(`2026-12-01T${local}:00+01:00`)
const clock = { nowMs: at('11:00'), timeZone: 'Europe/Paris' }
const enabled = { version: 1, state: 'ENABLED' as const, acceptedAtMs: at('09:00') }
const disabled = { version: 2, state: 'DISABLED' as const, disableReason: 'LOST' as const, acceptedAtMs: at('09:40') }
const none = { failedRuns: 0 }

const rows: Array<[string, DownstreamSituation, string]> = [
  ['opposed and confirmed', { downstream: 'izly', desired: disabled, confirmed: { confirmedVersion: 2, remoteState: 'opposed', outcome: 'opposed', updatedAtMs: at('10:02') }, activity: none },
    'opposed at Izly since 10:02, reason lost'],
  ['a CADUC card opposed', { downstream: 'izly', desired: { version: 3, state: 'CADUC', acceptedAtMs: at('09:00') }, confirmed: { confirmedVersion: 3, remoteState: 'opposed', outcome: 'opposed', updatedAtMs: at('09:01') }, activity: none },
    'opposed at Izly since 09:01, card caduc'],
  ['inactive at the router', { downstream: 'esc', desired: { ...disabled, disableReason: 'OUT_OF_ORDER' }, confirmed: { confirmedVersion: 2, remoteState: 'opposed', outcome: 'deactivated', updatedAtMs: at('10:03') }, activity: none },
    'opposed at the ESC Router since 10:03, reason out of order'],
  ['active', { downstream: 'izly', desired: enabled, confirmed: { confirmedVersion: 1, remoteState: 'active', outcome: 'registered', updatedAtMs: Date.parse('2026-11-28T08:15:00Z') }, activity: none },
    'active at Izly since 2026-11-28 09:15'],
  ['nothing to oppose', { downstream: 'izly', desired: disabled, confirmed: { confirmedVersion: 2, remoteState: 'absent', outcome: 'nothing-to-oppose-unknown-at-izly', updatedAtMs: at('10:00') }, activity: none },
    'not held at Izly (nothing-to-oppose-unknown-at-izly), as of 10:00'],
  ['skipped, no consent', { downstream: 'esc', desired: enabled, confirmed: { confirmedVersion: 1, remoteState: 'untouched', outcome: 'skipped-no-consent', updatedAtMs: at('09:01') }, activity: none },
    'nothing sent to the ESC Router (skipped-no-consent), as of 09:01'],
  ['waiting through an outage', { downstream: 'izly', desired: disabled, confirmed: { confirmedVersion: 1, remoteState: 'active', outcome: 'registered', updatedAtMs: at('09:01') }, activity: { failedRuns: 37, lastFault: { code: 'HTTP_503', at: '2026-12-01T09:59:00Z' } } },
    'waiting for Izly since 09:40 (to oppose), 37 attempts, last fault 503'],
  ['waiting, not tried yet', { downstream: 'izly', desired: { ...enabled, version: 3, acceptedAtMs: at('10:59') }, confirmed: { confirmedVersion: 2, remoteState: 'opposed', outcome: 'opposed', updatedAtMs: at('09:01') }, activity: none },
    'waiting for Izly since 10:59 (to enable), no failed attempt yet'],
  ['one attempt, a network code', { downstream: 'esc', desired: disabled, confirmed: { confirmedVersion: 1, remoteState: 'active', outcome: 'registered', updatedAtMs: at('09:01') }, activity: { failedRuns: 1, lastFault: { code: 'ECONNRESET', at: '2026-12-01T09:59:00Z' } } },
    'waiting for the ESC Router since 09:40 (to oppose), 1 attempt, last fault ECONNRESET'],
  ['needs attention', { downstream: 'izly', desired: disabled, confirmed: { confirmedVersion: 1, remoteState: 'active', outcome: 'registered', updatedAtMs: at('09:01') }, attention: { version: 2, code: '-41', message: 'account in opposition', at: '2026-12-01T08:41:00Z' }, activity: { failedRuns: 1, lastFault: { code: '-41', at: '2026-12-01T08:41:00Z' } } },
    'needs attention: -41 account in opposition (to oppose, since 09:41; replay once the cause is fixed, or dismiss)'],
  ['an attention entry of an older version: the newer state is on its way', { downstream: 'izly', desired: { ...disabled, version: 3 }, confirmed: { confirmedVersion: 1, remoteState: 'active', outcome: 'registered', updatedAtMs: at('09:01') }, attention: { version: 2, code: '-41', message: 'account in opposition', at: '2026-12-01T08:41:00Z' }, activity: none },
    'waiting for Izly since 09:40 (to oppose), no failed attempt yet'],
  ['in line wins over a stale entry', { downstream: 'izly', desired: disabled, confirmed: { confirmedVersion: 2, remoteState: 'opposed', outcome: 'opposed', updatedAtMs: at('10:02') }, attention: { version: 2, code: '-41', message: 'x', at: '2026-12-01T08:41:00Z' }, activity: none },
    'opposed at Izly since 10:02, reason lost'],
  ['dismissed', { downstream: 'izly', desired: disabled, confirmed: { confirmedVersion: 1, remoteState: 'active', outcome: 'registered', updatedAtMs: at('09:01') }, activity: { failedRuns: 2, dismissed: { operator: 'alice', reason: 'card unknown at this CROUS', at: '2026-12-01T09:30:00Z' } } },
    'not in line with Izly (to oppose): dismissed by alice at 10:30, "card unknown at this CROUS"; a re-sync sends it again'],
  ['a new card never sent anywhere', { downstream: 'izly', desired: { version: 1, state: 'NEW', acceptedAtMs: at('09:00') }, confirmed: { confirmedVersion: 1, remoteState: 'untouched', outcome: 'never-synced', updatedAtMs: 0 }, activity: none },
    'nothing to do at Izly for a NEW card'],
]

for (const [name, situation, expected] of rows) {
  t.equal(summariseDownstream(situation, clock), expected, name)
}

t.test('times: the day is written when it is not today, in the zone asked', async (t) => {
  t.equal(formatTime(Date.parse('2026-12-01T23:30:00Z'), { nowMs: Date.parse('2026-12-01T12:00:00Z'), timeZone: 'Europe/Paris' }), '2026-12-02 00:30')
  t.equal(formatTime(Date.parse('2026-12-01T23:30:00Z'), { nowMs: Date.parse('2026-12-02T12:00:00Z'), timeZone: 'Europe/Paris' }), '00:30')
  t.equal(formatTime(0, clock), 'an unknown time')
})

t.test('activity: failed runs of the version only, coalesced lines counted, a dismissal undone by a replay', async (t) => {
  const lines = [
    { type: 'fault', downstream: 'izly', version: 1, code: 'HTTP_500', count: 4, at: '2026-12-01T08:00:00Z' },
    { type: 'fault', downstream: 'izly', version: 2, code: 'HTTP_503', count: 30, at: '2026-12-01T08:41:00Z', lastAt: '2026-12-01T09:00:00Z' },
    { type: 'fault', downstream: 'esc', version: 2, code: 'SE-0000', at: '2026-12-01T08:42:00Z' },
    { type: 'call', downstream: 'izly', at: '2026-12-01T09:01:00Z' },
    { type: 'fault', downstream: 'izly', version: 2, code: '-41', at: '2026-12-01T09:02:00Z' },
    { type: 'dismiss', downstream: 'izly', version: 2, operator: 'alice', reason: 'r', at: '2026-12-01T09:03:00Z' },
  ]
  t.same(activityOf(lines, 'izly', 2), { failedRuns: 31, lastFault: { code: '-41', at: '2026-12-01T09:02:00Z' }, dismissed: { operator: 'alice', reason: 'r', at: '2026-12-01T09:03:00Z' } })
  t.same(activityOf([...lines, { type: 'resync', downstream: 'izly', version: 2, at: '2026-12-01T09:04:00Z' }], 'izly', 2).dismissed, undefined)
  t.same(activityOf(lines, 'esc', 2), { failedRuns: 1, lastFault: { code: 'SE-0000', at: '2026-12-01T08:42:00Z' } })
  t.same(activityOf(lines, 'izly', 3), { failedRuns: 0 })
})
