import { laneOf, type DownstreamName } from '../../domain/downstream.ts'
import { DownstreamError } from '../../downstream/errors.ts'
import { maskedFault } from '../../downstream/holder-mask.ts'
import { replayAttention } from '../../queue/replay.ts'
import type { SyncQueues } from '../../queue/sync-queues.ts'
import type { AttentionEntry } from '../../registry/attention.ts'
import type { Registry } from '../../registry/registry.ts'
import { timelineEntry } from '../../registry/timeline.ts'

/** The longest dismissal reason kept (it is written in the card's timeline). */
export const MAX_REASON_LENGTH = 300

/**
 * Replays the given entries, each as one replay does (its own timeline line with the operator, its card
 * dirty again and woken), a few dozen at a time; returns how many were still waiting and were replayed.
 */
export async function replayEntries (registry: Registry, queues: SyncQueues, entries: readonly AttentionEntry[], operator: string): Promise<number> {
  let replayed = 0
  for (let start = 0; start < entries.length; start += 50) {
    const outcomes = await Promise.all(entries.slice(start, start + 50).map(async (entry) => await replayAttention(registry, queues, entry.downstream, entry.cardId, operator)))
    replayed += outcomes.filter((outcome) => outcome === 'replayed').length
  }
  return replayed
}

/**
 * An operator decides the work will not be done (the card is unknown at this CROUS, say): the entry
 * leaves "needs attention" without the card being marked dirty, so nothing retries it until a newer SGC
 * event or a re-sync. The reason and the operator stay in the card's timeline, the reason masked of every
 * value held about the holder (an operator may paste a name).
 */
export async function dismissAttention (registry: Registry, downstream: DownstreamName, cardId: string, operator: string, reason: string): Promise<'dismissed' | 'not-waiting' | 'unknown-card'> {
  const record = await registry.getCard(cardId)
  if (record === undefined) return 'unknown-card'
  const entry = await registry.getAttention(downstream, cardId)
  if (entry === undefined || !await registry.clearAttention(downstream, cardId)) return 'not-waiting'
  const masked = maskedFault(new DownstreamError({ downstream, code: entry.code, message: reason, transient: false }), record).message
  await registry.appendActivity(downstream, cardId, timelineEntry('dismiss', { downstream, version: record.version, code: entry.code, operator, reason: masked }))
  return 'dismissed'
}

/**
 * Sends a card's current desired state to `downstream` again, for a card that looks in line but is
 * said not to be (changed by hand at the CROUS, say): the confirmation is taken back, any "needs
 * attention" entry released, and the sync runs (every downstream call is idempotent).
 */
export async function resyncCard (registry: Registry, queues: SyncQueues, downstream: DownstreamName, cardId: string, operator: string): Promise<'resynced' | 'unknown-card'> {
  const record = await registry.getCard(cardId)
  if (record === undefined) return 'unknown-card'
  await registry.releaseAttention(downstream, cardId)
  await registry.reopen(downstream, cardId)
  await registry.appendActivity(downstream, cardId, timelineEntry('resync', { downstream, version: record.version, operator }))
  await queues.wake(downstream, laneOf(record), cardId)
  return 'resynced'
}
