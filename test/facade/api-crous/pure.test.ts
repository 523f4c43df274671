// The façade's pure parts: ESUP-SGC's fake-Z local times, and the C1 answer made safe for its right-holder step.
import t from 'tap'
import { safeRightHolderAnswer } from '../../../src/facade/api-crous/answers.ts'
import { readCardPatch, readRightHolder, readSmartCard } from '../../../src/facade/api-crous/bodies.ts'
import { readSgcLocalTime, writeSgcLocalTime } from '../../../src/facade/api-crous/local-time.ts'

t.test('fake-Z timestamps are ESUP-SGC local time in SGC_TIME_ZONE', async (t) => {
  t.equal(readSgcLocalTime('2026-12-01T14:00:00.000Z', 'Europe/Paris'), '2026-12-01T13:00:00.000Z', 'winter: UTC+1')
  t.equal(readSgcLocalTime('2026-07-01T14:00:00.123Z', 'Europe/Paris'), '2026-07-01T12:00:00.123Z', 'summer: UTC+2, milliseconds kept')
  t.equal(readSgcLocalTime('2026-07-01T14:00:00+02', 'Europe/Paris'), '2026-07-01T12:00:00.000Z', 'an explicit offset is dropped, as ESUP-SGC drops it')
  t.equal(readSgcLocalTime('2026-07-01T14:00', 'America/Cayenne'), '2026-07-01T17:00:00.000Z', 'another zone, no seconds')
  t.equal(readSgcLocalTime('2026-03-29T02:30:00.000Z', 'Europe/Paris'), '2026-03-29T01:30:00.000Z', 'a skipped wall-clock time reads one hour later')
  for (const bad of ['', null, 42, 'tomorrow', '2026-13-45T99:00:00Z']) t.equal(readSgcLocalTime(bad, 'Europe/Paris'), undefined, `${JSON.stringify(bad)} is no date`)
  t.equal(writeSgcLocalTime('2027-08-31T21:59:59.000Z', 'Europe/Paris'), '2027-08-31T23:59:59.000Z', 'written back as ESUP-SGC reads it')
  t.equal(readSgcLocalTime(writeSgcLocalTime('2026-11-02T08:15:00.000Z', 'Europe/Paris'), 'Europe/Paris'), '2026-11-02T08:15:00.000Z', 'round trip')
})

t.test('C1 answers never make ESUP-SGC stop at KO_BLOCKED, nor fail its parsing', async (t) => {
  const crous = { identifier: 'jdoe@univ.fr', idCompanyRate: 10, idRate: 98, accountStatus: 'ACTIF', blockingStatus: 'WHATEVER' }
  t.match(safeRightHolderAnswer(crous, 'jdoe@univ.fr', 10), { idCompanyRate: 10, idRate: 98 }, 'rate 10 kept when ESUP-SGC computes 10 too')
  t.match(safeRightHolderAnswer(crous, 'jdoe@univ.fr', 2), { idCompanyRate: null, idRate: null }, 'rate 10 left out when ESUP-SGC computes another (never invented)')
  t.match(safeRightHolderAnswer(crous, 'jdoe@univ.fr', undefined), { idCompanyRate: null }, 'or when the gateway does not know what it computes')
  t.match(safeRightHolderAnswer({ ...crous, idRate: null }, 'jdoe@univ.fr', 10), { idCompanyRate: null, idRate: null }, 'rate 10 without an idRate would be a NullPointerException in ESUP-SGC')
  t.match(safeRightHolderAnswer(crous, 'x', 10), { accountStatus: 'ACTIF', blockingStatus: null }, 'an enum value ESUP-SGC does not know is left out')
  t.match(safeRightHolderAnswer({ identifier: null }, 'jdoe@univ.fr', undefined), { identifier: 'jdoe@univ.fr' }, 'never a null identifier')
})

t.test('bodies: key order, nulls, wrong types and reasons', async (t) => {
  const patch = readCardPatch({ revalidationDate: null, reason: 'DV', cancelDate: '2026-12-01T10:00:00.000Z' }, 'Europe/Paris')
  t.same(patch, { ok: true, value: { kind: 'oppose', reason: 'THEFT', code: 'DV', at: '2026-12-01T09:00:00.000Z' } })
  t.match(readCardPatch({ cancelDate: '2026-12-01T10:00:00.000Z', reason: 'XX', revalidationDate: '' }, 'Europe/Paris'), { ok: true, value: { kind: 'oppose', code: 'HS' } }, 'an unknown reason opposes as HS: an opposition is never refused for its reason')
  t.match(readCardPatch({ cancelDate: '', reason: '', revalidationDate: '2026-12-01T10:00:00.000Z' }, 'Europe/Paris'), { ok: true, value: { kind: 'revalidate' } })
  t.match(readCardPatch({ cancelDate: '', reason: '', revalidationDate: '' }, 'Europe/Paris'), { ok: false })
  const holder = readRightHolder({ identifier: 'a@b', idRate: 'x', idCompanyRate: '10', simpleBirthDate: '', email: null, dueDate: '2027-08-31T23:59:59.000Z' }, 'Europe/Paris')
  t.same(holder, { ok: true, value: { identifier: 'a@b', fields: { dueDate: '2027-08-31T21:59:59.000Z', idCompanyRate: 10 } } }, 'a wrong type is left out, never refused')
  t.match(readSmartCard({ idZdc: 1234, uid: 'zz' }, 'Europe/Paris'), { ok: false, errors: [{ field: 'uid' }] })
})
