import t from 'tap'
import { escnFromQr, readIdentifier } from '../../src/validity/card-identifier.ts'

const ESCN = '3e506370-826a-103d-bf76-001000000001'

t.test('every identifier form is recognised and brought to the form the registry stores', async (t) => {
  t.same(readIdentifier(ESCN), [{ kind: 'escn', value: ESCN }])
  t.same(readIdentifier(ESCN.toUpperCase()), [{ kind: 'escn', value: ESCN }], 'ESCN in any case, stored lower-case')
  t.same(readIdentifier('04a1b2c3d4e5f6'), [{ kind: 'csn', value: '04A1B2C3D4E5F6' }], '7-byte CSN, stored upper-case')
  t.same(readIdentifier('04A1B2C3'), [{ kind: 'csn', value: '04A1B2C3' }], '4-byte CSN')
  t.same(readIdentifier('04A1B2C3D4E5F60718AB'), [{ kind: 'csn', value: '04A1B2C3D4E5F60718AB' }], '10-byte CSN')
  t.same(readIdentifier('123'), [{ kind: 'idZdc', value: '123' }], 'short idZdc')
  t.same(readIdentifier('999900012345678'), [{ kind: 'idZdc', value: '999900012345678' }], '15-digit idZdc')
  t.same(readIdentifier(' 123 '), [{ kind: 'idZdc', value: '123' }], 'surrounding blanks ignored')
})

t.test('an all-digit value of 8 or 14 characters has two readings', async (t) => {
  t.same(readIdentifier('99990001'), [{ kind: 'idZdc', value: '99990001' }, { kind: 'csn', value: '99990001' }])
  t.same(readIdentifier('99990001', 'csn'), [{ kind: 'csn', value: '99990001' }], 'type decides')
  t.same(readIdentifier('99990001', 'idZdc'), [{ kind: 'idZdc', value: '99990001' }])
})

t.test('values that fit no form, or not the given type, have no reading', async (t) => {
  for (const value of ['', 'hello', '04A1B2C3D4', '1234567890123456', 'g4a1b2c3', `${ESCN}x`, '3e506370-826a-203d-bf76-001000000001', '3e506370-826a-103d-cf76-001000000001', '3e506370-826a-103d-bf76-00100000000a']) {
    t.same(readIdentifier(value), [], JSON.stringify(value))
  }
  t.same(readIdentifier(ESCN, 'csn'), [])
  t.same(readIdentifier('04A1B2C3D4E5F6', 'idZdc'), [])
})

t.test('the ESCN of a QR code is the last path segment, whatever the host', async (t) => {
  const forms = [
    `https://s.esc-r.eu/${ESCN}`,
    `http://esc.gg/${ESCN}`,
    `http://pp.esc.gg/${ESCN}`,
    `http://esc.bwcard.de/${ESCN}`,
    `https://carte.univ-rouen.fr/esc/verify/${ESCN}`,
    `https://s.esc-r.eu/${ESCN}/`,
    `https://s.esc-r.eu/${ESCN}?lang=fr#top`,
    `HTTPS://S.ESC-R.EU/${ESCN.toUpperCase()}`,
    `  https://s.esc-r.eu/${ESCN}\n`,
    ESCN,
  ]
  for (const form of forms) t.equal(escnFromQr(form), ESCN, JSON.stringify(form))
  for (const bad of ['', 'https://s.esc-r.eu/', 'https://s.esc-r.eu/not-an-escn', `https://s.esc-r.eu/${ESCN}/extra`, 'https://s.esc-r.eu/%E0%A4%A', `${ESCN}x`]) {
    t.equal(escnFromQr(bad), undefined, JSON.stringify(bad))
  }
})
