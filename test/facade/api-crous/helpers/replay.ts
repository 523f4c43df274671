// The ESUP-SGC replay (issue 10), run by replay-*.test.ts (two peer modes per file, so each stays well within
// tap's per-file timeout on a loaded machine): every flow of esup-sgc-dropin.md §2.3, written as data, sent to the API
// CROUS façade as ESUP-SGC sends it, with the real peer (the Izly simulator, both transports) up, down,
// slow and answering each error class. Every answer must let ESUP-SGC commit and send its next call; once
// the peer is back and the gateway at rest, the simulator must hold what the flow asked for.
import type { Test } from 'tap'
import { startTestGateway } from '../../../helpers/gateway.ts'
import { callsFor, forEachIzlyTransport, testIzly, type TestIzly } from '../../../helpers/izly.ts'
import { uniquePrefix } from '../../../helpers/redis.ts'
import { driveToRest } from '../../../helpers/rest.ts'
import { readSgcLocalTime } from '../../../../src/facade/api-crous/local-time.ts'
import { EsupSgc } from './esup-sgc.ts'
import { FlowRun, loadFlows, runSteps } from './flows.ts'

export const CLIENT = { clientId: 'esup-sgc', clientSecret: 'esup-sgc-test-secret-0123' }

export type Mode = 'up' | 'down' | 'slow' | 'http503' | 'http500' | 'e404' | 'e422' | 'e423'

function applyMode (izly: TestIzly, mode: Mode): void {
  if (mode === 'down') izly.setOutage('reset')
  else if (mode === 'slow') izly.setLatency(1500)
  else if (mode === 'http503') izly.setOutage('http503')
  else if (mode === 'http500') izly.scriptFault({ operation: '*', httpStatus: 500, code: '-1', message: 'Erreur interne' })
  else if (mode === 'e404') izly.scriptFault({ operation: '*', httpStatus: 404, code: 'HTTP_404', message: 'Not found' })
  else if (mode === 'e422') izly.scriptFault({ operation: '*', httpStatus: 422, code: '-8', message: 'Données invalides' })
  else if (mode === 'e423') izly.scriptFault({ operation: '*', httpStatus: 423, code: '-10', message: 'Compte bloqué' })
}

function restore (izly: TestIzly): void {
  izly.setOutage('off')
  izly.setLatency(0)
  izly.clearFaults()
}

const flows = loadFlows()

/** The replay with the peer in each of `modes` (FACADE_REPLAY_MODES, comma-separated, keeps only those it names). */
export function replay (t: Test, modes: Mode[]): void {
  const only = process.env.FACADE_REPLAY_MODES?.split(',')
  for (const mode of modes.filter((candidate) => only === undefined || only.includes(candidate))) replayMode(t, mode)
}

function replayMode (t: Test, mode: Mode): void {
  forEachIzlyTransport(t, `ESUP-SGC replay, CROUS ${mode}`, async (t, transport) => {
    const izly = await testIzly(t, transport)
    const prefix = uniquePrefix()
    const extra = { SGC_CROUS_CLIENTS: `${CLIENT.clientId}:${CLIENT.clientSecret}`, FACADE_READ_DEADLINE_MS: '300' }
    // With the peer out, only the API runs during the replay (the answers are what is tested); the
    // workers start once it is back, so that permanent faults scripted for the replay meet no work.
    const api = await startTestGateway(t, { izlyEndpoint: izly.endpoint, prefix, role: mode === 'up' ? 'all' : 'api', extra, cleanup: mode === 'up' })
    const sgc = new EsupSgc(api.app, CLIENT)
    const runs = flows.map(({ file, flow }) => new FlowRun(file, flow, sgc))
    for (const run of runs) run.seed(izly)
    for (const run of runs) await runSteps(t, run, run.flow.setup ?? [], { peerOut: false })
    for (const run of runs) Object.assign(run.computed, run.flow.sgcHolderAfterSetup ?? {})
    const callsBefore = izly.calls.length

    applyMode(izly, mode)
    for (const run of runs) await runSteps(t, run, run.flow.steps, { peerOut: mode !== 'up' })
    restore(izly)
    for (const run of runs) if (run.resumeAt !== undefined) await runSteps(t, run, run.flow.steps, { peerOut: false, from: run.resumeAt })

    if (mode !== 'up') await startTestGateway(t, { izlyEndpoint: izly.endpoint, prefix, role: 'worker', extra })
    await driveToRest(api)
    const attention = await api.admin('GET', '/admin/v1/attention')
    t.equal(attention.body.count, 0, 'nothing waits for an operator')
    for (const run of runs) checkFinal(t, izly, run, mode, callsBefore)
    t.same(sgc.contractErrors, [], 'every request the replay sent follows openapi/api-crous-v1.yaml')
  })
}

function checkFinal (t: Test, izly: TestIzly, run: FlowRun, mode: Mode, callsBefore: number): void {
  const { final } = run.flow
  const state = izly.dumpState()
  const card = state.cards.find((c) => c.smartCard.idZdc === run.idZdc)
  const name = `${run.file}:`
  if (final.card !== undefined) {
    const opposed = card !== undefined && card.cancelDate !== undefined && (card.revalidationDate === undefined || card.revalidationDate < card.cancelDate)
    t.equal(card !== undefined && opposed, final.card === 'opposed', `${name} the card is ${final.card} at CROUS`)
  }
  if (final.reason !== undefined) {
    t.equal(card?.reason, final.reason, `${name} opposed with reason ${final.reason}`)
    t.ok(callsFor(izly, 'OpposeSmartCard', run.idZdc).some((call) => call.uid === undefined || call.uid === run.csn), `${name} the opposition carries the card's uid`)
  }
  if (final.registered === true) {
    t.match(card?.smartCard, { idTransmitter: 65, idMapping: 1, pixSs: '03', pixNn: '0000', appl: 'D1', rid: '0A1B2C3D', uid: run.csn }, `${name} registered with the full card data`)
    t.equal(card?.smartCard.zdcCreationDate !== undefined && Date.parse(card.smartCard.zdcCreationDate), Date.parse(readSgcLocalTime('2026-09-01T00:00:00.000Z', 'Europe/Paris') as string), `${name} zdcCreationDate read as ESUP-SGC's local time`)
  }
  if (final.revalidated === true) t.ok(callsFor(izly, 'RevalidateSmartCard', run.idZdc).length > 0 || callsFor(izly, 'RegisterSmartCard', run.idZdc).length > 0, `${name} revalidated`)
  const holder = state.holders.find((h) => h.rightHolder.identifier === (final.holderKeyAtCrous === undefined ? run.id : run.fill(final.holderKeyAtCrous)))
  if (final.holderAtCrous === true || final.holderKeyAtCrous !== undefined) t.ok(holder, `${name} the right holder is at CROUS under its key`)
  if (final.studentFieldsKept === true) {
    const student = state.holders.find((h) => h.rightHolder.ine === run.ine)
    t.match(student?.rightHolder, { firstName: 'CAMILLE-CVEC', lastName: 'MARTIN-CVEC', email: 'cvec@etu.example', idRate: 98, idCompanyRate: 10 }, `${name} no student field overwritten`)
    if (final.dueDateKept === true) t.equal(student?.rightHolder.dueDate !== undefined && Date.parse(student.rightHolder.dueDate), Date.parse(run.seededHolder?.dueDate as string), `${name} the due date is not shortened`)
  }
  if (final.holderUpdated !== undefined) t.match(holder?.rightHolder, final.holderUpdated, `${name} the change reached CROUS`)
  if (final.noHolderWriteWhenUp === true && mode === 'up') {
    t.notOk(izly.calls.slice(callsBefore).some((call) => call.operation === 'UpsertRightHolder' && call.identifier === run.id), `${name} no holder write`)
  }
}
