// The enablement's right-holder step over both transports: GetRightHolder, then what the SPEC §5 plan
// decides (create, update with which fields, patch the key, nothing), against the simulator's state.
import { pino } from 'pino'
import t, { type Test } from 'tap'
import { mergeEvent } from '../../src/domain/card-record.ts'
import { NEVER_SYNCED } from '../../src/domain/sync-record.ts'
import { DownstreamError } from '../../src/downstream/errors.ts'
import { createIzlySync } from '../../src/downstream/izly/izly-sync.ts'
import type { SyncResult } from '../../src/downstream/types.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { IZLY_TRANSPORTS, type IzlyTransport, izlyClientFor, testIzly } from '../helpers/izly.ts'

async function setUp (t: Test, transport: IzlyTransport, options = { ineAsIdentifier: false }) {
  const simulator = await testIzly(t)
  const sync = createIzlySync(await izlyClientFor(t, simulator, transport), options)
  const event = cardEvent({ state: 'ENABLED' })
  const merged = mergeEvent(undefined, event, Date.now())
  if (!merged.applied) throw new Error('first event applies')
  const timeline: Array<Record<string, unknown>> = []
  const run = async (): Promise<SyncResult> => await sync.apply(merged.record, NEVER_SYNCED, {
    correlationId: event.eventId,
    log: pino({ level: 'silent' }),
    record: async (fields) => { timeline.push(fields) },
  })
  const operations = (): string[] => simulator.listCalls().filter((call) => call.operation !== 'Token').map((call) => `${call.operation} ${call.httpStatus}`)
  return { simulator, event, run, timeline, operations, holder: event.holder }
}

for (const transport of IZLY_TRANSPORTS) {
  t.test(`${transport}: a holder CROUS does not know is created with the SGC's record, then the card registered`, async (t) => {
    const { simulator, run, operations, holder } = await setUp(t, transport)
    t.match(await run(), { remoteState: 'active', remoteHolder: holder.eppn, outcome: 'registered' })
    t.same(operations(), ['GetRightHolder 404', `UpsertRightHolder ${transport === 'rest' ? 201 : 200}`, 'GetSmartCard 404', `RegisterSmartCard ${transport === 'rest' ? 201 : 200}`])
    t.match(simulator.state.holders.get(holder.eppn)?.rightHolder, { firstName: holder.firstName, email: holder.email, ine: holder.ine, idRate: holder.idRate })
  })

  t.test(`${transport}: a student CROUS already holds (CVEC): its names and tariff are not touched, nothing is written`, async (t) => {
    const { simulator, run, operations, holder, timeline } = await setUp(t, transport)
    simulator.patchHolder(holder.eppn, { rightHolder: { firstName: 'Camille-Anne', lastName: 'MARTIN', email: 'camille@crous.example', ine: holder.ine, idCompanyRate: 10, idRate: 98, rneOrgCode: holder.rneOrgCode, dueDate: '2027-08-31T00:00:00.000Z' } })
    t.match(await run(), { outcome: 'registered' })
    t.same(operations(), ['GetRightHolder 200', 'GetSmartCard 404', `RegisterSmartCard ${transport === 'rest' ? 201 : 200}`], 'no right-holder write')
    t.match(simulator.state.holders.get(holder.eppn)?.rightHolder, { firstName: 'Camille-Anne', idRate: 98 })
    t.match(timeline.find((entry) => entry.operation === 'RightHolder'), { result: 'in-line' })
  })

  t.test(`${transport}: a student whose RNE changed: only that is pushed, in the complete CROUS record; a later CROUS due date stays`, async (t) => {
    const { simulator, run, holder, timeline } = await setUp(t, transport)
    simulator.patchHolder(holder.eppn, { rightHolder: { firstName: 'Camille-Anne', email: 'camille@crous.example', ine: holder.ine, idCompanyRate: 10, idRate: 98, rneOrgCode: '0141408E', dueDate: '2028-08-31T00:00:00.000Z' } })
    await run()
    t.match(simulator.state.holders.get(holder.eppn)?.rightHolder, { firstName: 'Camille-Anne', email: 'camille@crous.example', idRate: 98, rneOrgCode: holder.rneOrgCode, dueDate: '2028-08-31T00:00:00.000Z' })
    t.match(timeline.find((entry) => entry.operation === 'UpdateRightHolder'), { result: 'updated', fields: ['rneOrgCode'] })
    t.notMatch(JSON.stringify(timeline), /Camille|crous\.example|0123456789A/, 'the timeline names fields, never values')
  })

  t.test(`${transport}: a 406 (another institution's priority RNE) is recorded and the card is registered all the same`, async (t) => {
    const { simulator, run, holder, timeline } = await setUp(t, transport)
    simulator.patchHolder(holder.eppn, { otherRne: true, rightHolder: { ine: holder.ine, idCompanyRate: 10, rneOrgCode: '0141408E' } })
    t.match(await run(), { remoteState: 'active', outcome: 'registered' })
    t.match(timeline.find((entry) => entry.operation === 'UpdateRightHolder'), { result: 'refused-card-goes-on', code: 'HTTP_406' })
    t.ok(simulator.state.cards.has(merged(simulator)), 'the card is at CROUS')
  })

  t.test(`${transport}: a holder CROUS knows under the eppn, keyed by INE now: its key is patched, the card goes under the INE`, async (t) => {
    const { simulator, run, operations, holder } = await setUp(t, transport, { ineAsIdentifier: true })
    simulator.patchHolder(holder.eppn, { rightHolder: { ine: holder.ine, idCompanyRate: 10, rneOrgCode: holder.rneOrgCode, dueDate: '2027-08-31T00:00:00.000Z' } })
    t.match(await run(), { remoteHolder: holder.ine, outcome: 'registered' })
    t.same(operations(), ['GetRightHolder 404', 'GetRightHolder 200', 'PatchIdentifier 200', 'GetSmartCard 404', `RegisterSmartCard ${transport === 'rest' ? 201 : 200}`])
    t.notOk(simulator.state.holders.has(holder.eppn))
    t.equal([...simulator.state.cards.values()][0]?.owner, holder.ine)
  })

  t.test(`${transport}: -11 on the creation (the holder appeared meanwhile): read it and update it instead`, async (t) => {
    const { simulator, run, operations, holder } = await setUp(t, transport)
    simulator.patchHolder(holder.eppn, { rightHolder: { ine: holder.ine, idCompanyRate: 10, rneOrgCode: '0141408E' } })
    // The first read misses it (a lookup race); the creation then meets it.
    simulator.scriptFault({ operation: 'GetRightHolder', httpStatus: 404, code: 'HTTP_404', message: 'Not found', times: 1 })
    t.match(await run(), { outcome: 'registered' })
    t.same(operations().slice(0, 4), ['GetRightHolder 404', 'UpsertRightHolder 422', 'GetRightHolder 200', 'UpsertRightHolder 200'])
    t.equal(simulator.state.holders.get(holder.eppn)?.rightHolder.rneOrgCode, holder.rneOrgCode)
  })

  t.test(`${transport}: a locked account stops the enablement with a permanent fault (an opposition would still go through)`, async (t) => {
    const { simulator, run, holder } = await setUp(t, transport)
    simulator.lockHolder(holder.eppn)
    const error = await run().then(() => undefined, (caught: unknown) => caught)
    t.ok(error instanceof DownstreamError)
    t.match(error, { code: 'HTTP_423', transient: false })
  })
}

function merged (simulator: { state: { cards: Map<string, unknown> } }): string {
  return [...simulator.state.cards.keys()][0] ?? ''
}
