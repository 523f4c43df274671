import type { DownstreamName } from '../domain/downstream.ts'
import { laneOf } from '../domain/downstream.ts'
import type { Registry } from '../registry/registry.ts'
import { timelineEntry } from '../registry/timeline.ts'
import type { SyncQueues } from './sync-queues.ts'

export type ReplayOutcome = 'replayed' | 'not-waiting' | 'unknown-card'

/**
 * An operator's replay of work stopped by a permanent fault: the entry leaves "needs attention" and
 * the card's sync runs again against its current desired state.
 */
export async function replayAttention (registry: Registry, queues: SyncQueues, downstream: DownstreamName, cardId: string, operator: string): Promise<ReplayOutcome> {
  const record = await registry.getCard(cardId)
  if (record === undefined) return 'unknown-card'
  const cleared = await registry.clearAttention(downstream, cardId)
  if (!cleared) return 'not-waiting'
  await registry.appendTimeline(cardId, timelineEntry('replay', { downstream, version: record.version, operator }))
  await queues.wake(downstream, laneOf(record), cardId)
  return 'replayed'
}
