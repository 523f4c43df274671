/**
 * What a downstream holds for a card, as last confirmed by the gateway. `opposed` means held but not
 * usable: opposed at Izly, INACTIVE at the ESC Router.
 */
export type RemoteCardState = 'active' | 'opposed' | 'absent' | 'untouched'

export interface SyncRecord {
  /** The card record version last brought in line on this downstream (0 = never). */
  confirmedVersion: number
  remoteState: RemoteCardState
  /** Short machine-readable outcome of the last run, e.g. `opposed`, `registered`, `skipped-no-consent`. */
  outcome: string
  updatedAtMs: number
  /**
   * The key the downstream holds the card's owner under, when this card's sync registered one (Izly: the
   * right-holder identifier; ESC: the ESI of the person at the router). Personal data: kept for the next
   * run, never shown nor logged.
   */
  remoteHolder?: string
}

export const NEVER_SYNCED: SyncRecord = Object.freeze({
  confirmedVersion: 0,
  remoteState: 'untouched',
  outcome: 'never-synced',
  updatedAtMs: 0,
})
