import type { Logger } from 'pino'
import type { CardRecord } from '../domain/card-record.ts'
import type { DownstreamName } from '../domain/downstream.ts'
import type { RemoteCardState, SyncRecord } from '../domain/sync-record.ts'

export interface SyncContext {
  /** The eventId behind the desired state: carried into every downstream call and log line. */
  correlationId: string
  log: Logger
  /** Adds a line to the card's timeline (a call made and what it answered). No personal data. */
  record (fields: Record<string, unknown>): Promise<void>
}

export interface SyncResult {
  /** What the downstream now holds for the card; undefined leaves the recorded state as it was. */
  remoteState: RemoteCardState | undefined
  /** The key the downstream now holds the card's owner under (ESC: the person's ESI); null: none; undefined: unchanged. */
  remoteHolder?: string | null
  outcome: string
}

/**
 * What the sync worker calls for one downstream: bring it in line with `record`. Throws a
 * DownstreamError; `transient` decides between a retry and the "needs attention" list.
 */
export interface DownstreamSync {
  readonly name: DownstreamName
  apply (record: CardRecord, confirmed: SyncRecord, context: SyncContext): Promise<SyncResult>
}
