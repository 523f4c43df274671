import type { CardRecord } from './card-record.ts'
import type { CardState } from './card-state.ts'

/**
 * Downstream systems the gateway keeps in line with the SGC. Each has its own queues, workers and card
 * leases, so that one being down never delays the other.
 */
export const DOWNSTREAMS = ['izly', 'esc'] as const
export type DownstreamName = (typeof DOWNSTREAMS)[number]

/**
 * Two lanes, so that a backlog of enablements never delays an opposition: any desired state
 * other than ENABLED is opposition-lane work (SPEC §6, §10).
 */
export type Lane = 'oppose' | 'enable'
export const LANES: readonly Lane[] = ['oppose', 'enable']

export function laneOfState (state: CardState): Lane {
  return state === 'ENABLED' ? 'enable' : 'oppose'
}

export function laneOf (record: CardRecord): Lane {
  return laneOfState(record.card.state)
}
