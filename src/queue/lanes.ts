import type { DownstreamName, Lane } from '../domain/downstream.ts'

export function queueName (downstream: DownstreamName, lane: Lane): string {
  return `${downstream}-${lane}`
}

/**
 * One job per (downstream, card) and lane: a burst of events for one card coalesces into the job
 * already waiting. BullMQ ids may not contain ':' nor be plain integers, hence the prefix and encoding.
 */
export function jobIdFor (cardId: string): string {
  return `card-${encodeURIComponent(cardId)}`
}

export interface SyncJobData {
  cardId: string
}
