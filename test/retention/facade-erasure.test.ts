// A holder met only through ESUP-SGC's ESC Router façade: the façade keeps the person ESUP-SGC sent
// (its PersonUpdateView) and the ids of their cards under keys named by a keyed hash of the ESI. After
// DELETE /admin/v1/holders/{eppn}, a scan of every key finds none of it.
import t from 'tap'
import { pseudonymiser } from '../../src/domain/pseudonym.ts'
import { ESC_FACADE_BASE } from '../../src/facade/esc-router/routes.ts'
import { escnOf, ineOf, TEST_PIC, testEsc } from '../helpers/esc.ts'
import { esupHeaders } from '../helpers/esup-sgc-esc.ts'
import { startTestGateway, TEST_ADMIN_TOKEN, TEST_PSEUDONYM_KEY, type TestGateway } from '../helpers/gateway.ts'
import { testIzly } from '../helpers/izly.ts'
import { findNeedles, scanEveryKey } from '../helpers/key-scan.ts'
import { testRedis } from '../helpers/redis.ts'
import { driveToRest } from '../helpers/rest.ts'
import { esiFromIne } from '../../src/domain/esc-identifiers.ts'

const KEY = 'esc-facade-erasure-key-0123456789'
const FULL_NAME = 'Maëlys-Oriane Quénéhervé'
const EMAIL = 'maelys.quenehervé@etu.univ-brest.fr'

/** Whether the façade took the call (any 2xx: what lets ESUP-SGC go on). */
async function facade (gateway: TestGateway, method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<boolean> {
  const response = await gateway.app.inject({ method, url: ESC_FACADE_BASE + path, headers: esupHeaders(KEY), ...(body === undefined ? {} : { payload: JSON.stringify(body) }) })
  return response.statusCode >= 200 && response.statusCode < 300
}

t.test('a holder met through the ESC façade: its person and card list under the façade\'s keys go with the erasure', async (t) => {
  const izly = await testIzly(t)
  const esc = await testEsc(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, escEndpoint: esc.endpoint, extra: { SGC_ESC_KEYS: KEY } })
  const redis = await testRedis(t, gateway.prefix)
  const esi = esiFromIne(ineOf('facade-erasure'))
  const escn = escnOf('facade-erasure')
  const personHash = pseudonymiser(TEST_PSEUDONYM_KEY, 'esc-facade-person')(esi.toLowerCase())
  const needles = [FULL_NAME, 'Oriane', 'Quénéhervé', EMAIL, esi, personHash]

  // ESUP-SGC enables the card: E2 (the person), E5 (the card ACTIVE).
  t.ok(await facade(gateway, 'POST', '/persons', { personOrganisationUpdateViews: [{ email: EMAIL, academicLevel: null, organisationIdentifier: TEST_PIC }], identifier: esi, fullName: FULL_NAME }))
  t.ok(await facade(gateway, 'POST', '/cards', { personIdentifier: esi, cardStatusType: 'ACTIVE', expiresAt: '2030-08-31', cardNumber: escn, issuerIdentifier: TEST_PIC, processorIdentifier: null, cardType: 'SMART_NO_CDZ', issuedAt: '2026-09-01' }))
  await driveToRest(gateway)
  const before = findNeedles(await scanEveryKey(redis, gateway.prefix), needles)
  t.ok(before.some((hit) => hit.includes(':esc-facade:person:')), 'before: the façade keeps the person ESUP-SGC sent')
  t.ok(before.some((hit) => hit.includes(':esc-facade:person-cards:')), 'and the list of their cards')

  // Then it makes the card CADUC: E7 (the card deleted), E4 (the person deleted).
  t.ok(await facade(gateway, 'DELETE', `/cards/${escn}`))
  t.ok(await facade(gateway, 'DELETE', `/persons/${esi}`))
  await driveToRest(gateway)
  t.ok(findNeedles(await scanEveryKey(redis, gateway.prefix), needles).some((hit) => hit.includes(':esc-facade:person-cards:')), 'the card list stays after E4 (it names the cards a later E4 acts on)')

  const erased = await gateway.app.inject({ method: 'DELETE', url: `/admin/v1/holders/${encodeURIComponent(esi.toLowerCase())}`, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })
  t.equal(erased.statusCode, 200, erased.body)
  t.same(findNeedles(await scanEveryKey(redis, gateway.prefix), needles), [], 'no key holds the person, their ESI or the keyed hash that named them')
})
