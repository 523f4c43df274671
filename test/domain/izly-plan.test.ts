import t from 'tap'
import { mergeEvent } from '../../src/domain/card-record.ts'
import { CARD_STATES, type CardState, type DisableReason } from '../../src/domain/card-state.ts'
import { crousIdentifier, planIzly } from '../../src/domain/izly-plan.ts'
import { NEVER_SYNCED, type SyncRecord } from '../../src/domain/sync-record.ts'
import { cardEvent, type EventOptions } from '../fixtures/card-events.ts'

const options = { ineAsIdentifier: false }

function recordOf (eventOptions: EventOptions) {
  const merge = mergeEvent(undefined, cardEvent(eventOptions), Date.now())
  if (!merge.applied) throw new Error('first event always applies')
  return merge.record
}

t.test('SPEC §4 → DISABLED opposes with the reason mapped from the SGC motif', async (t) => {
  const cases: Array<[DisableReason | undefined, string]> = [['LOST', 'DP'], ['THEFT', 'DV'], ['OUT_OF_ORDER', 'CD'], [undefined, 'HS']]
  for (const [motif, reason] of cases) {
    const work = planIzly(recordOf({ state: 'DISABLED', ...(motif !== undefined ? { disableReason: motif } : {}) }), NEVER_SYNCED, options)
    t.equal(work.kind, 'oppose', `${motif ?? 'none'} opposes`)
    if (work.kind === 'oppose') t.equal(work.reason, reason, `${motif ?? 'none'} → ${reason}`)
  }
})

t.test('→ CADUC and → DESTROYED oppose with HS', async (t) => {
  for (const state of ['CADUC', 'DESTROYED'] as const) {
    const work = planIzly(recordOf({ state, disableReason: 'LOST' }), NEVER_SYNCED, options)
    t.equal(work.kind, 'oppose')
    if (work.kind === 'oppose') t.equal(work.reason, 'HS', `${state} → HS whatever the motif`)
  }
})

t.test('→ DESTROYED does nothing when the card is already opposed at Izly', async (t) => {
  const opposed: SyncRecord = { confirmedVersion: 1, remoteState: 'opposed', outcome: 'opposed', updatedAtMs: 1 }
  const work = planIzly(recordOf({ state: 'DESTROYED' }), opposed, options)
  t.same(work, { kind: 'none', outcome: 'already-opposed', remoteState: 'opposed' })
  t.equal(planIzly(recordOf({ state: 'DISABLED' }), opposed, options).kind, 'oppose', 'DISABLED re-asserts the opposition (idempotent)')
})

t.test('opposition depends on no consent', async (t) => {
  const work = planIzly(recordOf({ state: 'DISABLED', disableReason: 'THEFT', crousConsent: false }), NEVER_SYNCED, options)
  t.equal(work.kind, 'oppose')
})

t.test('opposition carries the card and the SGC time as the idempotency key', async (t) => {
  const record = recordOf({ state: 'DISABLED', disableReason: 'LOST', occurredAt: '2026-11-02T10:00:00+01:00' })
  const work = planIzly(record, NEVER_SYNCED, options)
  t.match(work, { kind: 'oppose', idZdc: record.card.crous?.idZdc, uid: record.card.csn, cancelDate: '2026-11-02T10:00:00+01:00' })
  if (work.kind === 'oppose') t.same(work.identifiers, [record.holder.eppn, record.holder.ine], 'the CROUS key first, then the other lookup keys')
})

t.test('opposition tries the key the card was registered under first, then every key the holder has', async (t) => {
  const record = recordOf({ state: 'DISABLED', disableReason: 'LOST' })
  record.holder.crousIdentifier = 'C-2026-42'
  const registered: SyncRecord = { confirmedVersion: 1, remoteState: 'active', outcome: 'registered', updatedAtMs: 1, remoteHolder: record.holder.eppn }
  const work = planIzly(record, registered, options)
  if (work.kind !== 'oppose') throw new Error('expected an opposition')
  t.same(work.identifiers, [record.holder.eppn, 'C-2026-42', record.holder.ine], 'registered key, current CROUS key, then the rest, without repeats')
  const ineKeyed = planIzly(record, NEVER_SYNCED, { ineAsIdentifier: true })
  if (ineKeyed.kind === 'oppose') t.same(ineKeyed.identifiers, ['C-2026-42', record.holder.eppn, record.holder.ine])
})

t.test('→ ENABLED registers the card for a consenting holder', async (t) => {
  const record = recordOf({ state: 'ENABLED' })
  const work = planIzly(record, NEVER_SYNCED, options)
  t.equal(work.kind, 'enable')
  if (work.kind !== 'enable') return
  t.equal(work.identifier, record.holder.eppn)
  t.equal(work.smartCard.uid, record.card.csn)
  t.equal(work.smartCard.idZdc, record.card.crous?.idZdc)
  t.equal(work.rightHolder.email, record.holder.email)
  t.notOk('eppn' in work.rightHolder, 'only the CROUS right-holder fields are sent')
})

t.test('→ ENABLED looks the holder up under its key, then the key the card was registered under, then the eppn', async (t) => {
  const record = recordOf({ state: 'ENABLED' })
  const registered: SyncRecord = { confirmedVersion: 1, remoteState: 'active', outcome: 'registered', updatedAtMs: 1, remoteHolder: 'C-OLD' }
  const work = planIzly(record, registered, { ineAsIdentifier: true })
  if (work.kind !== 'enable') throw new Error('expected an enablement')
  t.same(work.holderKeys, [record.holder.ine, 'C-OLD', record.holder.eppn])
  const fresh = planIzly(record, NEVER_SYNCED, options)
  if (fresh.kind === 'enable') t.same(fresh.holderKeys, [record.holder.eppn], 'no repeats')
})

t.test('→ ENABLED without CROUS consent, CROUS data or CSN does nothing, and says why', async (t) => {
  t.same(planIzly(recordOf({ state: 'ENABLED', crousConsent: false }), NEVER_SYNCED, options), { kind: 'none', outcome: 'skipped-no-crous-consent' })
  t.same(planIzly(recordOf({ state: 'ENABLED', withCrous: false }), NEVER_SYNCED, options), { kind: 'none', outcome: 'skipped-no-crous-data' })
  const record = recordOf({ state: 'ENABLED' })
  delete record.card.csn
  t.same(planIzly(record, NEVER_SYNCED, options), { kind: 'none', outcome: 'skipped-no-csn' })
})

t.test('other states do nothing at Izly', async (t) => {
  const others = CARD_STATES.filter((state) => !['ENABLED', 'DISABLED', 'CADUC', 'DESTROYED'].includes(state))
  t.equal(others.length, 9)
  for (const state of others) {
    t.equal(planIzly(recordOf({ state: state as CardState }), NEVER_SYNCED, options).kind, 'none', state)
  }
})

t.test('an external card (foreign ESC) is never sent to Izly', async (t) => {
  const record = recordOf({ state: 'DISABLED' })
  record.card.external = true
  t.equal(planIzly(record, NEVER_SYNCED, options).kind, 'none')
})

t.test('the CROUS key: crousIdentifier, else INE when configured, else eppn', async (t) => {
  const holder = { eppn: 'e@x', ine: '0123456789A' }
  t.equal(crousIdentifier(holder, { ineAsIdentifier: false }), 'e@x')
  t.equal(crousIdentifier(holder, { ineAsIdentifier: true }), '0123456789A')
  t.equal(crousIdentifier({ ...holder, crousIdentifier: 'C42' }, { ineAsIdentifier: true }), 'C42')
  t.equal(crousIdentifier({ eppn: 'e@x' }, { ineAsIdentifier: true }), 'e@x', 'no INE: eppn')
})
