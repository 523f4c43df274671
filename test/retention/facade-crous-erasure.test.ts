// A holder met only through ESUP-SGC's API CROUS façade: the façade keeps the last RightHolder ESUP-SGC
// wrote (names, e-mail, birth date) and the holder's card ids under keys named by a keyed hash of the
// identifier ESUP-SGC used. After DELETE /admin/v1/holders/{eppn}, a scan of every key finds none of it.
import t from 'tap'
import { pseudonymiser } from '../../src/domain/pseudonym.ts'
import { CLIENT, extra } from '../facade/api-crous/helpers/drills.ts'
import { EsupSgc, randomCsn, randomDigits } from '../facade/api-crous/helpers/esup-sgc.ts'
import { startTestGateway, TEST_ADMIN_TOKEN, TEST_PSEUDONYM_KEY } from '../helpers/gateway.ts'
import { testIzly } from '../helpers/izly.ts'
import { findNeedles, scanEveryKey } from '../helpers/key-scan.ts'
import { testRedis } from '../helpers/redis.ts'
import { driveToRest } from '../helpers/rest.ts'

const DAY = 86_400_000

t.test('a holder met through the API CROUS façade: the RightHolder it kept and the card list go with the erasure', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, extra })
  const redis = await testRedis(t, gateway.prefix)
  const sgc = new EsupSgc(gateway.app, CLIENT)
  t.equal(await sgc.authenticate(), 200)
  const eppn = `yquernec${randomDigits(6)}@univ-brest.fr`
  const idZdc = randomDigits(12)
  const csn = randomCsn()
  const holder = {
    identifier: eppn,
    firstName: 'Yseult-Armelle',
    lastName: 'Quernec-Ploumanac\'h',
    email: 'yseult.quernec@etu.univ-brest.fr',
    dueDate: sgc.localTime(365 * DAY),
    idCompanyRate: 2,
    idRate: 11,
    simpleBirthDate: '1999-11-07',
    ine: null,
    rneOrgCode: '0290346U',
    accountStatus: null,
    blockingStatus: null,
  }
  const holderHash = pseudonymiser(TEST_PSEUDONYM_KEY, 'holder-key')(eppn)
  const needles = [holder.firstName, 'Armelle', 'Quernec', holder.email, holder.simpleBirthDate, eppn, holderHash]

  // ESUP-SGC enables: the right holder (C1 then C2), the card (C5 then C6).
  t.equal((await sgc.call('C1', 'GET', `/beforeizly/v1/rightholders/${eppn}`)).status, 200)
  t.ok([200, 201, 204].includes((await sgc.call('C2', 'POST', '/beforeizly/v1/rightholders', { body: holder })).status), 'C2 taken')
  t.equal((await sgc.call('C5', 'GET', `/beforeizly/v1/rightholders/${eppn}/smartcard/${idZdc}`)).status, 404)
  const smartCard = { uid: csn, rid: '0A1B2C3D', idZdc: Number(idZdc), idTransmitter: 65, idMapping: 1, zdcCreationDate: '2026-09-01T00:00:00.000Z', pixSs: '03', pixNn: '0000', appl: 'D1' }
  t.ok([200, 201, 204].includes((await sgc.call('C6', 'POST', `/beforeizly/v1/rightholders/${eppn}/smartcard`, { body: smartCard })).status), 'C6 taken')
  await driveToRest(gateway)
  const before = findNeedles(await scanEveryKey(redis, gateway.prefix), needles)
  t.ok(before.some((hit) => hit.includes(':facade-crous:holder:')), 'before: the façade keeps the RightHolder ESUP-SGC wrote')

  // Then the card is disabled (C8), and the holder's erasure asked for once Izly has the opposition.
  t.ok([200, 202, 204].includes((await sgc.call('C8', 'PATCH', `/beforeizly/v1/rightholders/${eppn}/smartcard/${idZdc}`, { headers: { uid: csn }, body: { cancelDate: sgc.localTime(), reason: 'DP', revalidationDate: '' } })).status), 'C8 taken')
  await driveToRest(gateway)
  const erased = await gateway.app.inject({ method: 'DELETE', url: `/admin/v1/holders/${encodeURIComponent(eppn)}`, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })
  t.equal(erased.statusCode, 200, erased.body)
  t.same(findNeedles(await scanEveryKey(redis, gateway.prefix), needles), [], 'no key holds the RightHolder, the eppn or the keyed hash that named them')
})
