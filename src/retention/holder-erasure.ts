import type { CardRecord } from '../domain/card-record.ts'
import type { DownstreamName } from '../domain/downstream.ts'
import { laneOf } from '../domain/downstream.ts'
import type { Registry } from '../registry/registry.ts'
import type { CardEraser, ErasureOutcome } from './card-eraser.ts'
import type { HolderKeysHook } from './key-families.ts'

/** One card (and downstream) that stops a holder's erasure, in words an operator can act on. */
export interface ErasureObstacle {
  cardId: string
  downstream?: DownstreamName
  reason: string
}

export type HolderErasureResult =
  | { status: 'erased', cardIds: string[] }
  | { status: 'unknown-holder' }
  /** `active`: the SGC must act first (disable the card, make it CADUC); `pending`: try again once the work is done. */
  | { status: 'refused', why: 'active' | 'pending', obstacles: ErasureObstacle[] }

export interface HolderErasureOptions {
  registry: Registry
  eraser: CardEraser
  downstreams: readonly DownstreamName[]
  now?: () => number
  /** Keys other components keep for the holder (the façades' holder registries), deleted with the rest. */
  extraHolderKeys?: HolderKeysHook
}

/**
 * A holder's erasure (GDPR art. 17), refused while it would lose something that must still happen:
 * - a card still usable (desired ENABLED, or active at a downstream), or still registered at the ESC
 *   Router (INACTIVE there, the person with it): the gateway holds the only link from the card to what
 *   the downstreams hold, so erasing it first would leave a card that pays meals and can no longer be
 *   blocked, or a person at the router nobody can delete. The SGC disables or ends the card first
 *   (its own holder deletion makes the cards CADUC); the gateway carries that out, then erases.
 * - work of any card not yet confirmed by a downstream (an opposition waiting for Izly, an entry
 *   needing attention): an opposition is never dropped for an erasure; try again once it has drained.
 * Otherwise every card of the holder goes in one script (all or nothing; see erase-cards.lua).
 */
export function createHolderErasure (options: HolderErasureOptions): { erase (eppn: string): Promise<HolderErasureResult> } {
  const { registry, eraser, downstreams } = options
  const now = options.now ?? Date.now

  async function obstaclesOf (record: CardRecord): Promise<{ active: ErasureObstacle[], pending: ErasureObstacle[] }> {
    const cardId = record.card.id
    const active: ErasureObstacle[] = []
    const pending: ErasureObstacle[] = []
    if (record.card.state === 'ENABLED') {
      active.push({ cardId, reason: `card ${cardId} is ENABLED: the SGC must disable it or make it CADUC first` })
    }
    for (const downstream of downstreams) {
      const sync = await registry.getSync(downstream, cardId)
      if (sync.confirmedVersion < record.version) {
        const attention = await registry.getAttention(downstream, cardId)
        const work = laneOf(record) === 'oppose' ? `opposition (${record.card.state})` : 'enablement'
        pending.push({
          cardId,
          downstream,
          reason: attention !== undefined && attention.version === record.version
            ? `card ${cardId}: ${work} needs attention at ${downstream} since ${attention.at} (${attention.code}); replay it once the cause is fixed`
            : `card ${cardId}: ${work} pending at ${downstream} since ${new Date(record.acceptedAtMs).toISOString()}`,
        })
      } else if (sync.remoteState === 'active') {
        active.push({ cardId, downstream, reason: `card ${cardId} is still active at ${downstream}` })
      } else if (downstream === 'esc' && sync.remoteState === 'opposed') {
        active.push({ cardId, downstream, reason: `card ${cardId} is still registered at the ESC Router (INACTIVE) with its person: the SGC's CADUC deletes both there` })
      }
    }
    return { active, pending }
  }

  function refusal (outcome: Exclude<ErasureOutcome, { status: 'erased' }>): HolderErasureResult {
    const where = outcome.downstream === undefined ? '' : ` at ${outcome.downstream}`
    if (outcome.status === 'active') return { status: 'refused', why: 'active', obstacles: [{ cardId: outcome.cardId, ...(outcome.downstream !== undefined ? { downstream: outcome.downstream } : {}), reason: `card ${outcome.cardId} became active${where} meanwhile` }] }
    const reason = outcome.status === 'busy'
      ? `a sync of the holder's cards is running${where}`
      : `card ${outcome.cardId} changed while the erasure was checked (a new SGC event or its sync)`
    return { status: 'refused', why: 'pending', obstacles: [{ cardId: outcome.cardId, ...(outcome.downstream !== undefined ? { downstream: outcome.downstream } : {}), reason }] }
  }

  return {
    async erase (eppn) {
      const records = await registry.listHolderCards(eppn)
      const extraKeys = await options.extraHolderKeys?.({ eppn, records }) ?? []
      if (records.length === 0) {
        // Nothing of theirs in the registry; their card set (cards moved to others) and any façade keys still go.
        await eraser.erase('request', eppn, [], { nowMs: now(), extraKeys })
        return { status: 'unknown-holder' }
      }
      const active: ErasureObstacle[] = []
      const pending: ErasureObstacle[] = []
      for (const record of records) {
        const found = await obstaclesOf(record)
        active.push(...found.active)
        pending.push(...found.pending)
      }
      if (active.length > 0) return { status: 'refused', why: 'active', obstacles: [...active, ...pending] }
      if (pending.length > 0) return { status: 'refused', why: 'pending', obstacles: pending }
      const outcome = await eraser.erase('request', eppn, records, { nowMs: now(), extraKeys })
      if (outcome.status !== 'erased') return refusal(outcome)
      return { status: 'erased', cardIds: records.map((record) => record.card.id) }
    },
  }
}
