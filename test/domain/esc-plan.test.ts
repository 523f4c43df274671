import t from 'tap'
import type { CardEvent } from '../../src/domain/card-event.ts'
import { type CardRecord, mergeEvent } from '../../src/domain/card-record.ts'
import { type EscPlanOptions, type EscWork, isEscActive, planEsc } from '../../src/domain/esc-plan.ts'
import { NEVER_SYNCED, type SyncRecord } from '../../src/domain/sync-record.ts'
import { escCardEvent, type EscEventOptions, esiOf, TEST_PIC } from '../helpers/esc.ts'

const options: EscPlanOptions = { pic: TEST_PIC, cardType: 'SMART_NO_CDZ', onDisable: 'inactive', today: '2026-11-28' }

function recordOf (event: CardEvent): CardRecord {
  const merge = mergeEvent(undefined, event, Date.now())
  if (!merge.applied) throw new Error('first event always applies')
  return merge.record
}

function plan (eventOptions: EscEventOptions, confirmed: SyncRecord = NEVER_SYNCED, planOptions: Partial<EscPlanOptions> = {}): { work: EscWork, event: CardEvent } {
  const event = escCardEvent(eventOptions)
  return { work: planEsc(recordOf(event), confirmed, { ...options, ...planOptions }), event }
}

/** What the sync confirmed after registering the person under `esi` and the card ACTIVE. */
function registered (esi: string): SyncRecord {
  return { confirmedVersion: 1, remoteState: 'active', outcome: 'registered', updatedAtMs: 1, remoteHolder: esi }
}

t.test('→ ENABLED upserts the person (ESI from the INE) then the card ACTIVE, complete', async (t) => {
  const { work, event } = plan({ state: 'ENABLED' })
  t.equal(work.kind, 'upsert')
  if (work.kind !== 'upsert') return
  const esi = `urn:schac:personalUniqueCode:int:esi:fr:${event.holder.ine ?? ''}`
  t.same(work.person, {
    identifier: esi,
    identifierCode: 'ESI',
    personOrganisationUpdateViews: [{ organisationIdentifier: TEST_PIC, email: event.holder.email, fullName: 'Camille Martin' }],
  })
  t.same(work.card, {
    cardNumber: event.card.escn,
    cardType: 'SMART_NO_CDZ',
    issuedAt: '2026-09-01',
    expiresAt: '2030-08-31',
    issuerIdentifier: TEST_PIC,
    cardStatusType: 'ACTIVE',
    personIdentifier: esi,
  })
  t.equal(work.retire, undefined)
})

t.test('the SGC\'s own ESI, PIC, card type and academic level win over the defaults', async (t) => {
  const event = escCardEvent({ state: 'ENABLED', esi: 'urn:schac:personalUniqueCode:int:esi:fr:own' })
  event.holder.academicLevel = 'MASTER'
  event.card.cardType = 'SMART_CDZ'
  const work = planEsc(recordOf(event), NEVER_SYNCED, options)
  t.match(work, { kind: 'upsert', person: { identifier: 'urn:schac:personalUniqueCode:int:esi:fr:own', personOrganisationUpdateViews: [{ academicLevel: 'MASTER' }] }, card: { cardType: 'SMART_CDZ' } })
})

t.test('expiry defaults to the holder\'s due date, issue to the day of the event', async (t) => {
  const event = escCardEvent({ state: 'ENABLED', occurredAt: '2026-10-02T08:00:00+02:00' })
  delete event.card.expiresAt
  delete event.card.issuedAt
  t.match(planEsc(recordOf(event), NEVER_SYNCED, options), { kind: 'upsert', card: { issuedAt: '2026-10-02', expiresAt: '2027-08-31' } })
  delete event.holder.dueDate
  t.same(planEsc(recordOf(event), NEVER_SYNCED, options), { kind: 'none', outcome: 'skipped-no-expiry' })
})

t.test('nothing is sent without consent, an ESI, an ESCN or a PIC; each says why', async (t) => {
  t.same(plan({ state: 'ENABLED', escConsent: false }).work, { kind: 'none', outcome: 'skipped-no-esc-consent' })
  t.same(plan({ state: 'ENABLED', ine: null }).work, { kind: 'none', outcome: 'skipped-no-esi' })
  t.same(plan({ state: 'ENABLED' }, NEVER_SYNCED, { pic: undefined }).work, { kind: 'none', outcome: 'skipped-no-pic' })
  const noEscn = escCardEvent({ state: 'ENABLED' })
  delete noEscn.card.escn
  t.same(planEsc(recordOf(noEscn), NEVER_SYNCED, options), { kind: 'none', outcome: 'skipped-no-escn' })
  t.same(plan({ state: 'IN_PRINT' }).work, { kind: 'none', outcome: 'no-esc-work-for-state' })
  const external = escCardEvent({ state: 'ENABLED' })
  external.card.external = true
  t.same(planEsc(recordOf(external), NEVER_SYNCED, options), { kind: 'none', outcome: 'skipped-external-card' })
})

t.test('a card already expired is never sent as ACTIVE', async (t) => {
  t.same(plan({ state: 'ENABLED', expiresAt: '2026-11-27' }).work, { kind: 'none', outcome: 'skipped-card-expired' })
  t.equal(plan({ state: 'ENABLED', expiresAt: '2026-11-28' }).work.kind, 'upsert', 'valid through its last day')
})

t.test('data the router would refuse is not sent and needs a human', async (t) => {
  const foreignEscn = plan({ state: 'ENABLED', escn: '50228de1-8944-1038-a3d5-001999465982' }).work
  t.match(foreignEscn, { kind: 'invalid', code: 'ESC_INVALID_DATA', field: 'card.cardNumber', message: /issuer PIC 999859608/ })
  t.match(plan({ state: 'ENABLED', ine: 'INE WITH SPACES' }).work, { kind: 'invalid', field: 'card.personIdentifier' })
  t.match(plan({ state: 'ENABLED', issuedAt: '2031-01-01' }).work, { kind: 'invalid', field: 'card.expiresAt', message: 'is before issuedAt' })
})

t.test('→ DISABLED: the complete card INACTIVE, or a DELETE when configured', async (t) => {
  const { work, event } = plan({ state: 'DISABLED', disableReason: 'LOST' })
  t.match(work, { kind: 'deactivate', card: { cardNumber: event.card.escn, cardStatusType: 'INACTIVE', expiresAt: '2030-08-31', issuedAt: '2026-09-01', cardType: 'SMART_NO_CDZ', personIdentifier: esiOf(event) } })
  t.match(plan({ state: 'DISABLED', expiresAt: '2026-01-01', issuedAt: '2025-01-01' }).work, { kind: 'deactivate' }, 'an expired card is still made INACTIVE')
  const deleted = plan({ state: 'DISABLED' }, NEVER_SYNCED, { onDisable: 'delete' })
  t.same(deleted.work, { kind: 'delete-card', escn: deleted.event.card.escn })
})

t.test('→ CADUC deletes the card then the person; → DESTROYED the card', async (t) => {
  const caduc = plan({ state: 'CADUC' })
  t.same(caduc.work, { kind: 'delete-card-then-person', escn: caduc.event.card.escn, esi: esiOf(caduc.event) })
  const destroyed = plan({ state: 'DESTROYED' })
  t.same(destroyed.work, { kind: 'delete-card', escn: destroyed.event.card.escn })
})

t.test('consent withdrawn after a registration deletes the person (and the card first)', async (t) => {
  const event = escCardEvent({ state: 'ENABLED', escConsent: false })
  const esi = esiOf(event)
  t.same(planEsc(recordOf(event), registered(esi), options), { kind: 'delete-person', esi, escn: event.card.escn })
  const gone: SyncRecord = { ...registered(esi), remoteState: 'absent' }
  t.same(planEsc(recordOf(event), gone, options), { kind: 'delete-person', esi, escn: undefined }, 'a card known gone is not deleted again')
  const disabled = escCardEvent({ state: 'DISABLED', escConsent: false })
  t.equal(planEsc(recordOf(disabled), registered(esiOf(disabled)), options).kind, 'delete-person', 'whatever the card state')
})

t.test('the person registered under another ESI is removed and replaced; a case change is no change', async (t) => {
  const event = escCardEvent({ state: 'ENABLED' })
  const esi = esiOf(event)
  const caseOnly = planEsc(recordOf(event), registered(esi.replace(':fr:', ':FR:')), options)
  t.ok(caseOnly.kind === 'upsert' && !('retire' in caseOnly), 'FR and fr are one person: nothing to retire')
  const old = 'urn:schac:personalUniqueCode:int:esi:fr:previous'
  t.match(planEsc(recordOf(event), registered(old), options), { kind: 'upsert', person: { identifier: esi }, retire: { esi: old, escn: event.card.escn } })
  const caduc = escCardEvent({ state: 'CADUC' })
  t.match(planEsc(recordOf(caduc), registered(old), options), { kind: 'delete-card-then-person', esi: old }, 'the person the router holds is the one removed')
})

t.test('a card keeps its holder\'s person only when enabled, ours, with an ESCN and consent', async (t) => {
  t.ok(isEscActive(recordOf(escCardEvent({ state: 'ENABLED' }))))
  t.notOk(isEscActive(recordOf(escCardEvent({ state: 'DISABLED' }))))
  t.notOk(isEscActive(recordOf(escCardEvent({ state: 'ENABLED', escConsent: false }))))
})

t.test('a card the SGC deletes on disable (escOnDisable) is deleted whatever ESC_ON_DISABLE; its ESC person wins for the router', async (t) => {
  const event = escCardEvent({ state: 'DISABLED', disableReason: 'LOST' })
  event.card.escOnDisable = 'delete'
  t.same(planEsc(recordOf(event), NEVER_SYNCED, options), { kind: 'delete-card', escn: event.card.escn })
  const enabled = escCardEvent({ state: 'ENABLED' })
  enabled.holder.escPerson = { fullName: 'C. Martin-Lefèvre', email: 'esc@etu.example.fr' }
  const work = planEsc(recordOf(enabled), NEVER_SYNCED, options)
  t.match(work, { kind: 'upsert', person: { personOrganisationUpdateViews: [{ fullName: 'C. Martin-Lefèvre', email: 'esc@etu.example.fr' }] } })
})
