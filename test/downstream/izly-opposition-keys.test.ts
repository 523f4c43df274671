// The holder-key loop of an Izly opposition (SPEC §4, §6): every "not under this key" answer moves on to
// the holder's next key; "needs attention" only once every key has failed, and only when no key is even a
// known holder. Against a port that answers per key, so every combination is seen.
import t from 'tap'
import { createLogger } from '../../src/observability/logger.ts'
import { DownstreamError } from '../../src/downstream/errors.ts'
import { createIzlySync } from '../../src/downstream/izly/izly-sync.ts'
import type { IzlyOppositionOutcome, IzlyPort } from '../../src/downstream/izly/port.ts'
import { NEVER_SYNCED } from '../../src/domain/sync-record.ts'
import { mergeEvent } from '../../src/domain/card-record.ts'
import { cardEvent } from '../fixtures/card-events.ts'

function portAnswering (answers: Record<string, IzlyOppositionOutcome>): IzlyPort & { asked: string[] } {
  const asked: string[] = []
  const unused = async (): Promise<never> => { throw new Error('not an opposition call') }
  return {
    asked,
    getRightHolder: unused,
    createRightHolder: unused,
    updateRightHolder: unused,
    patchIdentifier: unused,
    uncloseRightHolder: unused,
    registerSmartCard: unused,
    getSmartCard: unused,
    revalidateSmartCard: unused,
    async opposeSmartCard (request) {
      asked.push(request.identifier)
      return answers[request.identifier] ?? 'not-found'
    },
    async close () {},
  }
}

/** A DISABLED card whose holder has a crousIdentifier, an eppn and an INE: three keys. */
function lostCard (): ReturnType<typeof mergeEvent> & { applied: true } {
  const event = cardEvent({ state: 'DISABLED', disableReason: 'LOST' })
  event.holder.crousIdentifier = 'C-0001'
  const merged = mergeEvent(undefined, event, Date.now())
  if (!merged.applied) throw new Error('unexpected')
  return merged
}

const context = { correlationId: 'c', log: createLogger('silent'), record: async () => {} }

t.test('an unknown holder (-42) under one key moves on to the next key, which opposes the card', async (t) => {
  const { record } = lostCard()
  const port = portAnswering({ 'C-0001': 'unknown-holder', [record.holder.eppn]: 'opposed' })
  const result = await createIzlySync(port, { ineAsIdentifier: false }).apply(record, NEVER_SYNCED, context)
  t.same(port.asked, ['C-0001', record.holder.eppn])
  t.match(result, { remoteState: 'opposed', remoteHolder: record.holder.eppn, outcome: 'opposed' })
})

t.test('every key an unknown holder: needs attention (-42), after every key was tried', async (t) => {
  const { record } = lostCard()
  const port = portAnswering({ 'C-0001': 'unknown-holder', [record.holder.eppn]: 'unknown-holder', '0123456789A': 'unknown-holder' })
  const failure = await createIzlySync(port, { ineAsIdentifier: false }).apply(record, NEVER_SYNCED, context).then(() => undefined, (error: unknown) => error)
  t.same(port.asked, ['C-0001', record.holder.eppn, '0123456789A'], 'each key once')
  t.ok(failure instanceof DownstreamError)
  t.match(failure, { code: '-42', transient: false })
})

t.test('no key holds the card, some key being a known holder: nothing to oppose, not an error', async (t) => {
  const { record } = lostCard()
  const port = portAnswering({ 'C-0001': 'unknown-holder', [record.holder.eppn]: 'not-found', '0123456789A': 'unknown-holder' })
  const result = await createIzlySync(port, { ineAsIdentifier: false }).apply(record, NEVER_SYNCED, context)
  t.equal(port.asked.length, 3)
  t.match(result, { remoteState: 'absent', outcome: 'nothing-to-oppose-unknown-at-izly' })
})

t.test('already opposed (-9) under a later key is success', async (t) => {
  const { record } = lostCard()
  const port = portAnswering({ 'C-0001': 'not-found', [record.holder.eppn]: 'already-opposed' })
  t.match(await createIzlySync(port, { ineAsIdentifier: false }).apply(record, NEVER_SYNCED, context), { remoteState: 'opposed', outcome: 'already-opposed' })
})

t.test('the SOAP client answers -42 on an opposition as unknown-holder, a 404 as not-found, and still throws other 422 codes', async (t) => {
  const { testIzly } = await import('../helpers/izly.ts')
  const { createIzlyClient } = await import('../../src/downstream/izly/client.ts')
  const izly = await testIzly(t)
  const client = await createIzlyClient({ endpoint: izly.url, timeoutMs: 3000 })
  t.teardown(async () => await client.close())
  const request = { identifier: 'nobody', idZdc: '12345', uid: '04A1B2C3D4E5F6', reason: 'DP' as const, cancelDate: '2026-11-28T10:00:00Z' }
  t.equal(await client.opposeSmartCard(request, { correlationId: 'c' }), 'not-found')
  const fault = izly.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 422, code: '-42', message: 'Client inconnu', retryable: false })
  t.equal(await client.opposeSmartCard(request, { correlationId: 'c' }), 'unknown-holder')
  izly.removeFault(fault.id)
  izly.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 422, code: '-117', message: 'Client anonymisé', retryable: false })
  await t.rejects(client.opposeSmartCard(request, { correlationId: 'c' }), { code: '-117', transient: false })
})
