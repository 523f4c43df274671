import type { CardRecord } from '../../domain/card-record.ts'
import { type IzlyPlanOptions, type IzlyWork, planIzly } from '../../domain/izly-plan.ts'
import type { SyncRecord } from '../../domain/sync-record.ts'
import { DownstreamError } from '../errors.ts'
import type { DownstreamSync, SyncContext, SyncResult } from '../types.ts'
import { IZLY_UNKNOWN_HOLDER } from './fault-classification.ts'
import type { IzlyPort } from './port.ts'
import { syncRightHolder } from './right-holder-sync.ts'

/**
 * Izly as a downstream of the sync worker: plans with the pure domain mapping, then makes the calls.
 * Opposition is a single idempotent call that never waits for the right-holder sync (izly-crous.md §5).
 */
export function createIzlySync (port: IzlyPort, options: IzlyPlanOptions): DownstreamSync {
  return {
    name: 'izly',
    async apply (record: CardRecord, confirmed: SyncRecord, context: SyncContext): Promise<SyncResult> {
      const work = planIzly(record, confirmed, options)
      switch (work.kind) {
        case 'none':
          return { remoteState: work.remoteState, outcome: work.outcome }
        case 'oppose':
          return await oppose(port, work, context)
        case 'enable':
          return await enable(port, work, context)
      }
    },
  }
}

async function oppose (port: IzlyPort, work: Extract<IzlyWork, { kind: 'oppose' }>, context: SyncContext): Promise<SyncResult> {
  const { kind, identifiers, ...request } = work
  // Every "not under this key" answer moves on to the holder's next key; only the last one decides.
  let knownHolder = false
  for (const [attempt, identifier] of identifiers.entries()) {
    const answer = await port.opposeSmartCard({ ...request, identifier }, context)
    await context.record({ operation: 'OpposeSmartCard', idZdc: work.idZdc, reason: work.reason, holderKey: attempt + 1, result: answer })
    if (answer === 'opposed' || answer === 'already-opposed') {
      return { remoteState: 'opposed', remoteHolder: identifier, outcome: answer }
    }
    if (answer === 'not-found') knownHolder = true
  }
  if (!knownHolder) {
    // No key is a holder Izly knows: the card may be registered under a key the gateway was never given.
    throw new DownstreamError({
      downstream: 'izly',
      code: IZLY_UNKNOWN_HOLDER,
      message: `Izly OpposeSmartCard: no right holder under any of the holder's ${identifiers.length} keys (-42 for each): the card cannot be found to oppose it`,
      transient: false,
    })
  }
  // No holder key of this card holds it at Izly: nothing to oppose, recorded as such, not as an error.
  return { remoteState: 'absent', outcome: 'nothing-to-oppose-unknown-at-izly' }
}

async function enable (port: IzlyPort, work: Extract<IzlyWork, { kind: 'enable' }>, context: SyncContext): Promise<SyncResult> {
  const { smartCard } = work
  const identifier = await syncRightHolder(port, work, context)
  const held = await port.getSmartCard(identifier, smartCard.idZdc, context)
  if (held === null) {
    await port.registerSmartCard(identifier, smartCard, context)
    await context.record({ operation: 'RegisterSmartCard', idZdc: smartCard.idZdc, result: 'registered' })
    return { remoteState: 'active', remoteHolder: identifier, outcome: 'registered' }
  }
  if (held.opposed) {
    await port.revalidateSmartCard({ identifier, idZdc: smartCard.idZdc, uid: smartCard.uid, revalidationDate: work.revalidationDate }, context)
    await context.record({ operation: 'RevalidateSmartCard', idZdc: smartCard.idZdc, result: 'revalidated' })
    return { remoteState: 'active', remoteHolder: identifier, outcome: 'revalidated' }
  }
  await context.record({ operation: 'GetSmartCard', idZdc: smartCard.idZdc, result: 'already-active' })
  return { remoteState: 'active', remoteHolder: identifier, outcome: 'already-active' }
}
