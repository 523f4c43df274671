import type { CardRecord } from '../../domain/card-record.ts'
import { activityOf, type SummaryClock, summariseDownstream } from '../../domain/card-summary.ts'
import type { DownstreamName } from '../../domain/downstream.ts'
import type { Registry } from '../../registry/registry.ts'

/** Activity lines read for the summary: enough to count a version's failed runs (repeats are coalesced). */
const SUMMARY_TIMELINE_LINES = 400

/**
 * A card as an operator sees it: desired state, per downstream what was confirmed, any "needs
 * attention" entry and a plain-language summary (src/domain/card-summary.ts).
 */
export async function cardView (registry: Registry, downstreams: readonly DownstreamName[], record: CardRecord, clock: SummaryClock): Promise<Record<string, unknown>> {
  const cardId = record.card.id
  const timeline = await registry.getTimeline(cardId, SUMMARY_TIMELINE_LINES)
  const syncs: Record<string, unknown> = {}
  for (const downstream of downstreams) {
    // remoteHolder (the ESC person's ESI) is personal data the operators' view does without.
    const { confirmedVersion, remoteState, outcome, updatedAtMs } = await registry.getSync(downstream, cardId)
    const attention = await registry.getAttention(downstream, cardId)
    const summary = summariseDownstream({
      downstream,
      desired: { version: record.version, state: record.card.state, disableReason: record.card.disableReason, acceptedAtMs: record.acceptedAtMs },
      confirmed: { confirmedVersion, remoteState, outcome, updatedAtMs },
      attention,
      activity: activityOf(timeline, downstream, record.version),
    }, clock)
    syncs[downstream] = { confirmedVersion, remoteState, outcome, updatedAtMs, inLine: confirmedVersion >= record.version, needsAttention: attention ?? null, summary }
  }
  return {
    cardId,
    version: record.version,
    desired: record.card,
    holder: { eppn: record.holder.eppn, consents: record.holder.consents ?? null },
    occurredAt: record.occurredAt,
    eventId: record.eventId,
    downstreams: syncs,
  }
}
