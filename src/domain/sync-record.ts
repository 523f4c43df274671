/** What a downstream holds for a card, as last confirmed by the gateway. */
export type RemoteCardState = 'active' | 'opposed' | 'absent' | 'untouched'

export interface SyncRecord {
  /** The card record version last brought in line on this downstream (0 = never). */
  confirmedVersion: number
  remoteState: RemoteCardState
  /** Short machine-readable outcome of the last run, e.g. `opposed`, `registered`, `skipped-no-consent`. */
  outcome: string
  updatedAtMs: number
}

export const NEVER_SYNCED: SyncRecord = Object.freeze({
  confirmedVersion: 0,
  remoteState: 'untouched',
  outcome: 'never-synced',
  updatedAtMs: 0,
})
