import t from 'tap'
import type { CardEvent } from '../../src/domain/card-event.ts'
import { type CardRecord, mergeEvent } from '../../src/domain/card-record.ts'
import { CARD_STATES, DISABLE_REASONS } from '../../src/domain/card-state.ts'
import { RegistryUnavailableError } from '../../src/intake/intake-service.ts'
import { createValidityChecker, decideFromRecord, decideFromRouter, todayIn } from '../../src/validity/check-validity.ts'
import type { RouterStatusAnswer, RouterStatusLookup } from '../../src/validity/router-status-client.ts'
import { cardEvent } from '../fixtures/card-events.ts'

const TODAY = '2026-11-28'

function recordOf (event: CardEvent): CardRecord {
  const merge = mergeEvent(undefined, event, Date.now())
  if (!merge.applied) throw new Error('not applied')
  return merge.record
}

function withExpiry (event: CardEvent, expiresAt: string | undefined, dueDate: string | undefined): CardEvent {
  const copy = structuredClone(event)
  if (expiresAt === undefined) delete copy.card.expiresAt
  else copy.card.expiresAt = expiresAt
  if (dueDate === undefined) delete copy.holder.dueDate
  else copy.holder.dueDate = dueDate
  return copy
}

t.test('only ENABLED is valid; the reason is the disable reason, else the state', async (t) => {
  for (const state of CARD_STATES) {
    const decision = decideFromRecord(recordOf(cardEvent({ state, occurredAt: '2026-11-28T10:00:00+01:00' })), TODAY)
    t.equal(decision.valid, state === 'ENABLED', `${state}: valid`)
    t.equal(decision.state, state)
    t.equal(decision.reason, state, `${state}: reason`)
    t.equal(decision.since, '2026-11-28T10:00:00+01:00', 'since is the SGC occurredAt')
  }
  for (const reason of DISABLE_REASONS) {
    t.match(decideFromRecord(recordOf(cardEvent({ state: 'DISABLED', disableReason: reason })), TODAY), { valid: false, state: 'DISABLED', reason })
  }
})

t.test('expiry: card.expiresAt, else the holder due date; the last day is still valid', async (t) => {
  const enabled = cardEvent({ state: 'ENABLED' })
  const cases: Array<[string | undefined, string | undefined, boolean, string | undefined]> = [
    ['2026-11-28', undefined, true, '2026-11-28'],
    ['2026-11-27', undefined, false, '2026-11-27'],
    ['2026-11-27', '2027-08-31T00:00:00Z', false, '2026-11-27'],
    [undefined, '2027-08-31T00:00:00Z', true, '2027-08-31'],
    [undefined, '2026-11-28T23:00:00+01:00', true, '2026-11-28'],
    [undefined, '2026-11-27T00:00:00Z', false, '2026-11-27'],
    [undefined, undefined, true, undefined],
  ]
  for (const [expiresAt, dueDate, valid, day] of cases) {
    const decision = decideFromRecord(recordOf(withExpiry(enabled, expiresAt, dueDate)), TODAY)
    t.equal(decision.valid, valid, `expiresAt ${expiresAt} dueDate ${dueDate}`)
    t.equal(decision.expiresAt, day)
    t.equal(decision.reason, valid ? 'ENABLED' : 'EXPIRED')
  }
  const opposedAndExpired = decideFromRecord(recordOf(withExpiry(cardEvent({ state: 'DISABLED', disableReason: 'THEFT' }), '2020-01-01', undefined)), TODAY)
  t.equal(opposedAndExpired.reason, 'THEFT', 'an opposition says why, even past expiry')
})

t.test('a foreign card the SGC holds names its issuer by the PIC in its ESCN', async (t) => {
  const event = cardEvent({ state: 'ENABLED' })
  event.card.external = true
  event.card.escn = '3e506370-826a-103d-bf76-066999859608'
  t.same(decideFromRecord(recordOf(event), TODAY).issuer, { identifier: '999859608' })
  t.equal(decideFromRecord(recordOf(cardEvent({ state: 'ENABLED' })), TODAY).issuer, undefined, 'not for our own cards')
})

t.test('the router decides foreign cards: ACTIVE and not past expiresAt', async (t) => {
  const escn = '3e506370-826a-103d-bf76-066999859608'
  t.same(decideFromRouter(escn, { status: 'ACTIVE', expiresAt: '2027-06-30', issuerIdentifier: '999859608', issuerName: 'Uni' }, TODAY),
    { valid: true, state: 'ACTIVE', reason: 'ACTIVE', expiresAt: '2027-06-30', issuer: { identifier: '999859608', name: 'Uni' } })
  t.match(decideFromRouter(escn, { status: 'ACTIVE', expiresAt: '2026-11-27' }, TODAY), { valid: false, state: 'ACTIVE', reason: 'EXPIRED' })
  t.match(decideFromRouter(escn, { status: 'ACTIVE', expiresAt: TODAY }, TODAY), { valid: true })
  t.match(decideFromRouter(escn, { status: 'INACTIVE', expiresAt: '2027-06-30' }, TODAY), { valid: false, reason: 'INACTIVE' })
  t.match(decideFromRouter(escn, { status: 'EXPIRED' }, TODAY), { valid: false, reason: 'EXPIRED' })
  t.match(decideFromRouter(escn, { status: 'SUSPENDED' }, TODAY), { valid: false, state: 'SUSPENDED' }, 'an undocumented status is never valid')
  t.same(decideFromRouter(escn, { status: 'ACTIVE' }, TODAY).issuer, { identifier: '999859608' }, 'issuer PIC from the ESCN when the router omits it')
})

t.test('today is the calendar day of the configured zone', async (t) => {
  const lateEvening = Date.parse('2026-11-28T23:30:00Z')
  t.equal(todayIn('Europe/Paris', lateEvening), '2026-11-29')
  t.equal(todayIn('UTC', lateEvening), '2026-11-28')
})

function fakeRouter (answer: RouterStatusAnswer): RouterStatusLookup & { asked: string[] } {
  const asked: string[] = []
  return { asked, lookup: async (escn) => { asked.push(escn); return answer }, close: async () => {} }
}

t.test('the lookup: registry first, the router only for an ESCN the registry does not hold', async (t) => {
  const held = recordOf(cardEvent({ state: 'DISABLED', disableReason: 'LOST' }))
  held.card.escn = '3e506370-826a-103d-bf76-066999859608'
  const registry = new Map<string, CardRecord>([[`csn:${held.card.csn}`, held], [`idZdc:${held.card.crous?.idZdc}`, held], [`escn:${held.card.escn}`, held]])
  const router = fakeRouter({ kind: 'known', card: { status: 'ACTIVE', expiresAt: '2099-01-01' } })
  const checker = createValidityChecker({ findCard: async (kind, value) => registry.get(`${kind}:${value}`), router, timeZone: 'Europe/Paris' })

  for (const [id, idType] of [[held.card.csn, 'csn'], [held.card.csn?.toLowerCase(), 'csn'], [held.card.crous?.idZdc, 'idZdc'], [held.card.escn.toUpperCase(), 'escn']] as const) {
    t.match(await checker.check(id as string), { outcome: 'answer', validity: { idType, valid: false, state: 'DISABLED', reason: 'LOST', source: 'registry' } }, `${idType} ${id}`)
  }
  t.same(router.asked, [], 'the router is not asked about a card the registry holds')

  const foreign = '11111111-2222-1333-8444-066123456789'
  t.match(await checker.check(foreign), { outcome: 'answer', validity: { cardId: foreign, idType: 'escn', valid: true, source: 'esc-router', issuer: { identifier: '123456789' } } })
  t.same(router.asked, [foreign])
  t.match(await checker.check('ABCDEF01'), { outcome: 'unknown-card', cardId: 'ABCDEF01' }, 'an unknown CSN is never sent to the router')
  t.match(await checker.check('not a card'), { outcome: 'invalid-card-id' })
  t.match(await checker.check(held.card.csn as string, 'idZdc'), { outcome: 'invalid-card-id', detail: 'not a valid idZdc' })
  t.match(await checker.check('x'.repeat(300)), { outcome: 'invalid-card-id' })

  const unknownToRouter = createValidityChecker({ findCard: async () => undefined, router: fakeRouter({ kind: 'unknown' }), timeZone: 'UTC' })
  t.match(await unknownToRouter.check(foreign), { outcome: 'unknown-card', cardId: foreign })
  const routerDown = createValidityChecker({ findCard: async () => undefined, router: fakeRouter({ kind: 'unavailable', retryAfterSeconds: 10, detail: 'down' }), timeZone: 'UTC' })
  t.match(await routerDown.check(foreign), { outcome: 'router-unavailable', cardId: foreign, retryAfterSeconds: 10, detail: 'down' })
})

t.test('an all-digit id held as both a CSN and an idZdc of two cards is ambiguous; as one of them it is that card', async (t) => {
  const a = recordOf(cardEvent({ state: 'ENABLED' }))
  const b = recordOf(cardEvent({ state: 'DISABLED', disableReason: 'THEFT' }))
  const both = new Map([['csn:12345678', a], ['idZdc:12345678', b]])
  const checker = createValidityChecker({ findCard: async (kind, value) => both.get(`${kind}:${value}`), router: fakeRouter({ kind: 'unknown' }), timeZone: 'UTC' })
  t.match(await checker.check('12345678'), { outcome: 'ambiguous-card-id' })
  t.match(await checker.check('12345678', 'csn'), { outcome: 'answer', validity: { idType: 'csn', valid: true } })
  t.match(await checker.check('12345678', 'idZdc'), { outcome: 'answer', validity: { idType: 'idZdc', reason: 'THEFT' } })
  const onlyIdZdc = createValidityChecker({ findCard: async (kind, value) => kind === 'idZdc' && value === '12345678' ? b : undefined, router: fakeRouter({ kind: 'unknown' }), timeZone: 'UTC' })
  t.match(await onlyIdZdc.check('12345678'), { outcome: 'answer', validity: { idType: 'idZdc' } })
})

t.test('a registry that cannot be read is an error, not an unknown card', async (t) => {
  const checker = createValidityChecker({ findCard: async () => { throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }) }, router: fakeRouter({ kind: 'unknown' }), timeZone: 'UTC' })
  await t.rejects(checker.check('04A1B2C3'), RegistryUnavailableError)
  // A record that does not parse is not "Redis unavailable, retry": it stays the error it is (a 500).
  const corrupt = createValidityChecker({ findCard: async () => { throw new SyntaxError('Unexpected end of JSON input') }, router: fakeRouter({ kind: 'unknown' }), timeZone: 'UTC' })
  await t.rejects(corrupt.check('04A1B2C3'), SyntaxError)
})
