import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import type { IzlySimulator } from '../../../../src/simulators/izly/server.ts'
import { readSgcLocalTime } from '../../../../src/facade/api-crous/local-time.ts'
import { EsupSgc, esupSgcBlocked, esupSgcWouldUpdate, randomCsn, randomDigits } from './esup-sgc.ts'

/** One ESUP-SGC flow of esup-sgc-dropin.md §2.3, as data (test/fixtures/esup-sgc/flows/crous/*.json). */
export interface Flow {
  flow: string
  reference: string
  holder: 'staff' | 'student'
  crous: { holder: boolean, card: 'active' | 'opposed' | 'none', closed?: boolean }
  sgcHolder?: { dueDateOffsetMs?: number }
  sgcHolderAfterSetup?: Record<string, unknown>
  setup?: Step[]
  steps: Step[]
  final: {
    card?: 'active' | 'opposed'
    reason?: string
    registered?: boolean
    revalidated?: boolean
    holderAtCrous?: boolean
    studentFieldsKept?: boolean
    dueDateKept?: boolean
    noHolderWriteWhenUp?: boolean
    holderUpdated?: Record<string, unknown>
    holderKeyAtCrous?: string
  }
}

export type Step =
  | { do: 'rightHolderStep' }
  | { do: 'enableCard', expectC5: number[] }
  | { do: 'oppose', reason: string }
  | { do: 'call', call: string, method: string, path: string, body?: unknown, expect: number[], expectWhenPeerOut?: number[], expectBody?: unknown, newKey?: string }

export const FLOWS_DIR = new URL('../../../fixtures/esup-sgc/flows/crous/', import.meta.url).pathname

export function loadFlows (): Array<{ file: string, flow: Flow }> {
  return readdirSync(FLOWS_DIR).filter((file) => file.endsWith('.json')).sort()
    .map((file) => ({ file, flow: JSON.parse(readFileSync(join(FLOWS_DIR, file), 'utf8')) as Flow }))
}

const DAY = 86_400_000

/** One flow's identities, CROUS seed and ESUP-SGC's view of the holder, as it runs. */
export class FlowRun {
  readonly flow: Flow
  readonly file: string
  id: string
  readonly ine: string
  readonly idZdc: string
  readonly csn: string
  readonly computed: Record<string, unknown>
  readonly seededHolder: Record<string, unknown> | undefined
  /** Index of the step to resume at once the peer is back (a C10 that could not be forwarded), if any. */
  resumeAt: number | undefined
  readonly sgc: EsupSgc

  constructor (file: string, flow: Flow, sgc: EsupSgc) {
    this.file = file
    this.flow = flow
    this.sgc = sgc
    const n = file.slice(0, 2)
    this.id = `flow${n}.${randomDigits(6)}@univ-test.fr`
    this.ine = `${randomDigits(10)}A`
    this.idZdc = randomDigits(12)
    this.csn = randomCsn()
    const student = flow.holder === 'student'
    this.computed = {
      identifier: this.id,
      firstName: 'Camille',
      lastName: 'Martin',
      email: 'camille.martin@univ-test.fr',
      dueDate: sgc.localTime(flow.sgcHolder?.dueDateOffsetMs ?? 365 * DAY),
      idCompanyRate: student ? 10 : 2,
      idRate: student ? 1 : 11,
      simpleBirthDate: '1990-02-03',
      ine: student ? this.ine : null,
      rneOrgCode: '0761904G',
      accountStatus: null,
      blockingStatus: null,
    }
    if (flow.crous.holder) {
      this.seededHolder = student
        ? { identifier: this.id, firstName: 'CAMILLE-CVEC', lastName: 'MARTIN-CVEC', email: 'cvec@etu.example', ine: this.ine, idCompanyRate: 10, idRate: 98, rneOrgCode: '0761904G', dueDate: new Date(Date.now() + 400 * DAY).toISOString() }
        : { identifier: this.id, firstName: 'Camille', lastName: 'Martin', email: 'camille.martin@univ-test.fr', idCompanyRate: 2, idRate: 11, birthDate: '1990-02-03', rneOrgCode: '0761904G', dueDate: readSgcLocalTime(this.computed.dueDate, sgc.timeZone) }
    }
  }

  fill (text: string): string {
    return text.replaceAll('{id}', this.id).replaceAll('{ine}', this.ine).replaceAll('{idZdc}', this.idZdc).replaceAll('{csn}', this.csn).replaceAll('{numeroCrous}', '42')
  }

  fillValue (value: unknown): unknown {
    return value === undefined ? undefined : JSON.parse(this.fill(JSON.stringify(value)))
  }

  smartCard (): Record<string, unknown> {
    // zdcCreationDate: the CSV date at 00:00 local, with a fake Z; keys in another order than the Java class's.
    return { uid: this.csn, rid: '0A1B2C3D', idZdc: Number(this.idZdc), idTransmitter: 65, idMapping: 1, zdcCreationDate: '2026-09-01T00:00:00.000Z', pixSs: '03', pixNn: '0000', appl: 'D1' }
  }

  seed (izly: IzlySimulator): void {
    if (this.seededHolder !== undefined) izly.patchHolder(this.id, { rightHolder: this.seededHolder as never })
    if (this.flow.crous.closed === true) izly.patchHolder(this.id, { closed: true })
    if (this.flow.crous.card !== 'none') {
      izly.putCard({ owner: this.id, smartCard: { idZdc: this.idZdc, idTransmitter: 65, idMapping: 1, zdcCreationDate: '2026-08-31T22:00:00.000Z', pixSs: '03', pixNn: '0000', appl: 'D1', rid: '0A1B2C3D', uid: this.csn }, ...(this.flow.crous.card === 'opposed' ? { cancelDate: new Date(Date.now() - DAY).toISOString(), reason: 'HS' as const } : {}) })
    }
  }
}

/** The answers a step may get for ESUP-SGC to commit and go on (esup-sgc-dropin.md §2.4, §2.5). */
const SAFE = { C1: [200], C2: [200, 201, 204], C3: [200, 201, 204], C4: [200, 204], C6: [200, 201, 204], C7: [200, 204], C8: [200, 202, 204] }

/**
 * Runs steps `from`.. of a flow against the façade as ESUP-SGC would, checking every answer lets it commit
 * and send its next call. `peerOut`: the real CROUS is out of reach (down, slow, failing) right now.
 */
export async function runSteps (t: Test, run: FlowRun, steps: Step[], options: { peerOut: boolean, from?: number }): Promise<void> {
  const { sgc } = run
  const label = (call: string): string => `${run.file} ${call}`
  for (let index = options.from ?? 0; index < steps.length; index++) {
    const step = steps[index] as Step
    if (step.do === 'rightHolderStep') {
      const c1 = await sgc.call('C1', 'GET', `/beforeizly/v1/rightholders/${run.id}`)
      t.ok(SAFE.C1.includes(c1.status), `${label('C1')} answered ${c1.status}: a right-holder answer that lets the opposition follow`)
      if (c1.status !== 200) return
      t.equal(typeof c1.body?.identifier, 'string', `${label('C1')} carries an identifier`)
      t.notOk(esupSgcBlocked(run.computed, c1.body), `${label('C1')} never makes ESUP-SGC stop at KO_BLOCKED`)
      if (esupSgcWouldUpdate(run.computed, c1.body)) {
        if (c1.body.identifier !== run.computed.identifier) {
          const c4 = await sgc.call('C4', 'PATCH', `/beforeizly/v1/rightholders/${c1.body.identifier as string}`, { body: { currentIdentifier: c1.body.identifier, email: c1.body.email ?? null, newIdentifier: run.computed.identifier } })
          t.ok(SAFE.C4.includes(c4.status), `${label('C4')} answered ${c4.status}`)
        }
        const c3 = await sgc.call('C3', 'PUT', `/beforeizly/v1/rightholders/${run.id}`, { body: run.computed })
        t.ok(SAFE.C3.includes(c3.status), `${label('C3')} answered ${c3.status}`)
      }
    } else if (step.do === 'enableCard') {
      const c5 = await sgc.call('C5', 'GET', `/beforeizly/v1/rightholders/${run.id}/smartcard/${run.idZdc}`)
      t.ok(step.expectC5.includes(c5.status), `${label('C5')} answered ${c5.status} (expected ${step.expectC5.join('/')})`)
      if (c5.status === 200) {
        const c7 = await sgc.call('C7', 'PATCH', `/beforeizly/v1/rightholders/${run.id}/smartcard/${run.idZdc}`, { headers: { uid: run.csn }, body: { revalidationDate: sgc.localTime(), cancelDate: '', reason: '' } })
        t.ok(SAFE.C7.includes(c7.status), `${label('C7')} answered ${c7.status}`)
      } else {
        const c6 = await sgc.call('C6', 'POST', `/beforeizly/v1/rightholders/${run.id}/smartcard`, { body: run.smartCard() })
        t.ok(SAFE.C6.includes(c6.status), `${label('C6')} answered ${c6.status}`)
      }
    } else if (step.do === 'oppose') {
      // Java HashMap order: not the declaration order.
      const c8 = await sgc.call('C8', 'PATCH', `/beforeizly/v1/rightholders/${run.id}/smartcard/${run.idZdc}`, { headers: { uid: run.csn }, body: { reason: step.reason, revalidationDate: '', cancelDate: sgc.localTime() } })
      t.ok(SAFE.C8.includes(c8.status), `${label('C8')} answered ${c8.status}: ESUP-SGC commits the opposition`)
    } else {
      const answer = await sgc.call(step.call, step.method, run.fill(step.path), { ...(step.body === undefined ? {} : { body: run.fillValue(step.body) }) })
      const allowed = options.peerOut ? step.expectWhenPeerOut ?? step.expect : step.expect
      t.ok(allowed.includes(answer.status), `${label(step.call)} answered ${answer.status} (allowed ${allowed.join('/')})`)
      if (step.expectBody !== undefined) t.same(answer.body, step.expectBody, `${label(step.call)} body`)
      if (!step.expect.includes(answer.status)) {
        // Not done (ESUP-SGC showed an error): the user tries again once CROUS is back.
        run.resumeAt = index
        return
      }
      if (step.newKey !== undefined) {
        run.id = run.fill(step.newKey)
        run.computed.identifier = run.id
      }
    }
  }
}
