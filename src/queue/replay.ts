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
  const released = await registry.releaseAttention(downstream, cardId)
  if (!released) return 'not-waiting'
  await registry.appendActivity(downstream, cardId, timelineEntry('replay', { downstream, version: record.version, operator }))
  await queues.wake(downstream, laneOf(record), cardId)
  return 'replayed'
}

/**
 * Replays every entry of `downstream` with fault code `code`, each as replayAttention does (its own
 * timeline line, its card dirty again and woken); returns how many were replayed.
 */
export async function replayAttentionByCode (registry: Registry, queues: SyncQueues, downstream: DownstreamName, code: string, operator: string): Promise<number> {
  const entries = await registry.listAttention({ downstream, code })
  let replayed = 0
  // A few dozen at a time: thousands of entries (an expired token) take seconds, not minutes.
  for (let start = 0; start < entries.length; start += 50) {
    const outcomes = await Promise.all(entries.slice(start, start + 50).map(async (entry) => await replayAttention(registry, queues, downstream, entry.cardId, operator)))
    replayed += outcomes.filter((outcome) => outcome === 'replayed').length
  }
  return replayed
}
