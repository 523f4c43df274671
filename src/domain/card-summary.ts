import type { CardState, DisableReason } from './card-state.ts'
import { type DownstreamName, laneOfState } from './downstream.ts'
import type { RemoteCardState } from './sync-record.ts'

/**
 * The plain-language line an operator reads for one downstream of a card ("opposed at Izly since 10:02,
 * reason lost"), so that a support question is answered without reading JSON. Pure: everything it needs
 * is passed in, the clock and the time zone included.
 */
export interface DownstreamSituation {
  downstream: DownstreamName
  desired: { version: number, state: CardState, disableReason?: DisableReason | undefined, acceptedAtMs: number }
  confirmed: { confirmedVersion: number, remoteState: RemoteCardState, outcome: string, updatedAtMs: number }
  /** The "needs attention" entry of this downstream, if any (at whatever version). */
  attention?: { version: number, code: string, message: string, at: string } | undefined
  /** What the activity says about the desired version (`activityOf`). */
  activity: VersionActivity
}

/** The failed runs and any dismissal of one downstream at one card version, read from the timeline. */
export interface VersionActivity {
  failedRuns: number
  lastFault?: { code: string, at: string }
  dismissed?: { operator: string, reason: string, at: string }
}

export interface SummaryClock {
  nowMs: number
  /** IANA zone the times are written in (VALIDITY_TIME_ZONE, Europe/Paris by default). */
  timeZone: string
}

const NAMES: Record<DownstreamName, string> = { izly: 'Izly', esc: 'the ESC Router' }

export function summariseDownstream (situation: DownstreamSituation, clock: SummaryClock): string {
  const { desired, confirmed, attention, activity } = situation
  const at = NAMES[situation.downstream]
  const time = (ms: number): string => formatTime(ms, clock)
  if (confirmed.confirmedVersion >= desired.version) return inLine(at, desired, confirmed, time)
  const goal = laneOfState(desired.state) === 'oppose' ? 'to oppose' : 'to enable'
  if (attention !== undefined && attention.version === desired.version) {
    return `needs attention: ${attention.code} ${attention.message} (${goal}, since ${time(Date.parse(attention.at))}; replay once the cause is fixed, or dismiss)`
  }
  if (activity.dismissed !== undefined) {
    const { operator, reason, at: when } = activity.dismissed
    return `not in line with ${at} (${goal}): dismissed by ${operator} at ${time(Date.parse(when))}, "${reason}"; a re-sync sends it again`
  }
  const attempts = activity.failedRuns === 0
    ? 'no failed attempt yet'
    : `${activity.failedRuns} ${activity.failedRuns === 1 ? 'attempt' : 'attempts'}, last fault ${faultLabel(activity.lastFault?.code ?? '')}`
  return `waiting for ${at} since ${time(desired.acceptedAtMs)} (${goal}), ${attempts}`
}

function inLine (at: string, desired: DownstreamSituation['desired'], confirmed: DownstreamSituation['confirmed'], time: (ms: number) => string): string {
  const since = time(confirmed.updatedAtMs)
  switch (confirmed.remoteState) {
    case 'opposed': {
      const reason = desired.disableReason !== undefined ? `, reason ${desired.disableReason.toLowerCase().replace(/_/g, ' ')}` : desired.state === 'DISABLED' ? '' : `, card ${desired.state.toLowerCase()}`
      return `opposed at ${at} since ${since}${reason}`
    }
    case 'active':
      return `active at ${at} since ${since}`
    case 'absent':
      return `not held at ${at} (${confirmed.outcome}), as of ${since}`
    case 'untouched':
      return confirmed.outcome === 'never-synced' ? `nothing to do at ${at} for a ${desired.state} card` : `nothing sent to ${at} (${confirmed.outcome}), as of ${since}`
  }
}

/** `HTTP_503` reads `503`; a downstream's own code (`-41`, `SE-0000`) as it is. */
function faultLabel (code: string): string {
  return /^HTTP_\d{3}$/.test(code) ? code.slice(5) : code
}

/** `10:02` on the day of `nowMs` in the zone, `2026-11-28 10:02` on another day. */
export function formatTime (ms: number, clock: SummaryClock): string {
  if (!Number.isFinite(ms) || ms <= 0) return 'an unknown time'
  const day = (value: number): string => new Intl.DateTimeFormat('en-CA', { timeZone: clock.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(value)
  const hour = new Intl.DateTimeFormat('en-GB', { timeZone: clock.timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms)
  return day(ms) === day(clock.nowMs) ? hour : `${day(ms)} ${hour}`
}

interface ActivityLine {
  type: string
  downstream?: unknown
  version?: unknown
  code?: unknown
  count?: unknown
  lastAt?: unknown
  at: string
  operator?: unknown
  reason?: unknown
}

/**
 * The failed runs of `downstream` at `version` (a coalesced fault line counts its `count` runs), its last
 * fault, and a dismissal of that version not followed by a replay or re-sync. Lines oldest first.
 */
export function activityOf (lines: readonly ActivityLine[], downstream: DownstreamName, version: number): VersionActivity {
  const activity: VersionActivity = { failedRuns: 0 }
  for (const line of lines) {
    if (line.downstream !== downstream) continue
    if (line.type === 'fault' && line.version === version) {
      activity.failedRuns += typeof line.count === 'number' ? line.count : 1
      activity.lastFault = { code: String(line.code ?? ''), at: typeof line.lastAt === 'string' ? line.lastAt : line.at }
    } else if (line.type === 'dismiss' && line.version === version) {
      activity.dismissed = { operator: String(line.operator ?? ''), reason: String(line.reason ?? ''), at: line.at }
    } else if ((line.type === 'replay' || line.type === 'resync') && activity.dismissed !== undefined) {
      delete activity.dismissed
    }
  }
  return activity
}
