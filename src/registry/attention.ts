import type { DownstreamName } from '../domain/downstream.ts'

/** Work a permanent fault stopped: it waits in the "needs attention" list until an operator replays it. */
export interface AttentionEntry {
  downstream: DownstreamName
  cardId: string
  /** Card record version the fault was met at: a newer SGC event retries on its own. */
  version: number
  lane: string
  code: string
  message: string
  httpStatus?: number
  field?: string
  correlationId: string
  at: string
  /** When the state this work brings about was accepted (epoch ms): how long it has been pending. */
  pendingSinceMs?: number
}
