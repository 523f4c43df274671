// SPEC §5 right-holder rules, as a table: the SGC's holder and CROUS's answer in, what to write out.
import t from 'tap'
import type { IzlyRightHolder } from '../../src/domain/izly-plan.ts'
import { planRightHolder, type RightHolderPlan, rightHolderFaultBlocksCard } from '../../src/domain/right-holder-plan.ts'

const INE = '0123456789A'
const EPPN = 'c.martin@univ-rouen.fr'

/** A student as the SGC has it, keyed by the eppn. */
const student: IzlyRightHolder = {
  identifier: EPPN,
  firstName: 'Camille',
  lastName: 'Martin',
  email: 'camille.martin@etu.univ-rouen.fr',
  dueDate: '2027-08-31T00:00:00.000Z',
  idCompanyRate: 10,
  idRate: 1,
  birthDate: '2004-05-06',
  ine: INE,
  rneOrgCode: '0761904G',
}

/** Staff as the SGC has it (no INE). */
const staff: IzlyRightHolder = {
  identifier: 'j.dupont@univ-rouen.fr',
  firstName: 'Jérôme',
  lastName: 'Dupont',
  email: 'jerome.dupont@univ-rouen.fr',
  dueDate: '2027-08-31T00:00:00.000Z',
  idCompanyRate: 7999,
  idRate: 99,
  birthDate: '1980-01-02',
  rneOrgCode: '0761904G',
}

interface Row {
  name: string
  wanted: IzlyRightHolder
  found: IzlyRightHolder | null
  expect: RightHolderPlan
}

const rows: Row[] = [
  {
    name: 'unknown at CROUS under every key: create the SGC holder as is',
    wanted: student,
    found: null,
    expect: { kind: 'create', rightHolder: student },
  },
  {
    name: 'same holder, differing only in case, accents and surrounding spaces: nothing to write',
    wanted: staff,
    found: { ...staff, firstName: 'JEROME', lastName: ' dupont', email: 'Jerome.Dupont@UNIV-ROUEN.FR', rneOrgCode: '0761904g' },
    expect: { kind: 'sync', identifier: staff.identifier, kept: [] },
  },
  {
    name: 'student: names, e-mail, birth date and idRate are CROUS\'s (CVEC import): not compared',
    wanted: student,
    found: { ...student, firstName: 'Camille-Anne', lastName: 'Martin Durand', email: 'camille@gmail.com', birthDate: '2004-06-05', idRate: 98 },
    expect: { kind: 'sync', identifier: EPPN, kept: [] },
  },
  {
    name: 'student: a new RNE is pushed, CROUS\'s names and tariff stay in the full record sent',
    wanted: student,
    found: { ...student, firstName: 'Camille-Anne', idRate: 98, rneOrgCode: '0141408E' },
    expect: { kind: 'sync', identifier: EPPN, update: { rightHolder: { ...student, firstName: 'Camille-Anne', idRate: 98 }, fields: ['rneOrgCode'] }, kept: [] },
  },
  {
    name: 'company rate 10 is never moved to another',
    wanted: { ...staff, idCompanyRate: 7999, idRate: 99 },
    found: { ...staff, idCompanyRate: 10, idRate: 98 },
    expect: { kind: 'sync', identifier: staff.identifier, kept: ['idCompanyRate', 'idRate'] },
  },
  {
    name: 'at company rate 10 on both sides, CROUS\'s idRate (98, scholarship) is kept',
    wanted: { ...staff, idCompanyRate: 10, idRate: 1 },
    found: { ...staff, idCompanyRate: 10, idRate: 98 },
    expect: { kind: 'sync', identifier: staff.identifier, kept: ['idRate'] },
  },
  {
    name: 'an INE at CROUS makes a student, even when the SGC sent none: names stay CROUS\'s',
    wanted: { ...staff },
    found: { ...staff, firstName: 'Jerome-Paul', ine: INE },
    expect: { kind: 'sync', identifier: staff.identifier, kept: [] },
  },
  {
    name: 'not a student: a changed e-mail and name are pushed; what the SGC lacks is not erased',
    wanted: { ...staff, email: 'jerome.dupont@unicaen.fr', lastName: 'Dupont-Leroy', birthDate: undefined as unknown as string },
    found: { ...staff, birthDate: '1980-01-02' },
    expect: {
      kind: 'sync',
      identifier: staff.identifier,
      update: { rightHolder: { ...staff, email: 'jerome.dupont@unicaen.fr', lastName: 'Dupont-Leroy', birthDate: '1980-01-02' }, fields: ['email', 'lastName'] },
      kept: [],
    },
  },
  {
    name: 'a later due date extends CROUS\'s',
    wanted: { ...student, dueDate: '2028-08-31T00:00:00.000Z' },
    found: student,
    expect: { kind: 'sync', identifier: EPPN, update: { rightHolder: { ...student, dueDate: '2028-08-31T00:00:00.000Z' }, fields: ['dueDate'] }, kept: [] },
  },
  {
    name: 'an earlier due date never shortens CROUS\'s',
    wanted: { ...student, dueDate: '2026-12-31T00:00:00.000Z' },
    found: student,
    expect: { kind: 'sync', identifier: EPPN, kept: ['dueDate'] },
  },
  {
    name: 'due dates under 5 minutes apart (another offset, no millis) are the same',
    wanted: { ...student, dueDate: '2027-08-31T02:04:00+02:00' },
    found: { ...student, dueDate: '2027-08-31T00:00:00Z' },
    expect: { kind: 'sync', identifier: EPPN, kept: [] },
  },
  {
    name: 'CROUS without a due date gets the SGC\'s',
    wanted: student,
    found: { ...student, dueDate: undefined as unknown as string },
    expect: { kind: 'sync', identifier: EPPN, update: { rightHolder: student, fields: ['dueDate'] }, kept: [] },
  },
  {
    name: 'found under the eppn, keyed by INE now: patch the key (with CROUS\'s e-mail), then write under the INE',
    wanted: { ...student, identifier: INE, rneOrgCode: '0141408E' },
    found: { ...student, email: 'camille@crous.example' },
    expect: {
      kind: 'sync',
      identifier: INE,
      patch: { currentIdentifier: EPPN, email: 'camille@crous.example', newIdentifier: INE },
      update: { rightHolder: { ...student, email: 'camille@crous.example', identifier: INE, rneOrgCode: '0141408E' }, fields: ['rneOrgCode'] },
      kept: [],
    },
  },
  {
    name: 'a key change alone is a patch without an update',
    wanted: { ...staff, identifier: 'C-2026-0001' },
    found: staff,
    expect: { kind: 'sync', identifier: 'C-2026-0001', patch: { currentIdentifier: staff.identifier, email: staff.email as string, newIdentifier: 'C-2026-0001' }, kept: [] },
  },
  {
    name: 'a student CROUS keys by its INE stays keyed so, whatever the gateway\'s key',
    wanted: student,
    found: { ...student, identifier: INE },
    expect: { kind: 'sync', identifier: INE, kept: [] },
  },
  {
    name: 'an empty SGC value equals a missing one at CROUS',
    wanted: { ...staff, rneOrgCode: '' },
    found: { ...staff, rneOrgCode: undefined as unknown as string },
    expect: { kind: 'sync', identifier: staff.identifier, kept: [] },
  },
]

for (const row of rows) {
  t.test(row.name, async (t) => {
    // JSON round trip: a field set to undefined in a row is a field CROUS or the SGC does not have.
    const clean = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T
    t.same(clean(planRightHolder(clean(row.wanted), clean(row.found))), clean(row.expect))
  })
}

t.test('a 406 (another institution\'s priority RNE) does not block the card; other refusals do', async (t) => {
  t.equal(rightHolderFaultBlocksCard(406), false)
  for (const status of [404, 422, 423, 500, undefined]) t.equal(rightHolderFaultBlocksCard(status), true, `${status ?? 'no status'}`)
})
