// The API CROUS façade's HTTP contract, cards and reads (http.test.ts: tokens, bodies, 503) with ESUP-SGC (esup-sgc-dropin.md §2.1, §2.2, §5): tokens, the
// 401s that make ESUP-SGC re-authenticate, bodies unread before auth, the 400s naming a field, the body
// limit, the 503 when nothing can be stored, and one card whichever adapter met it first.
import t from 'tap'
import { cardEvent, crousData, csnOf } from '../../fixtures/card-events.ts'
import { captureLogger } from '../../helpers/capture-log.ts'
import { startTestGateway } from '../../helpers/gateway.ts'
import { driveToRest } from '../../helpers/rest.ts'
import { testIzly } from '../../helpers/izly.ts'
import { privateRedis } from '../../helpers/private-redis.ts'
import { uniquePrefix } from '../../helpers/redis.ts'
import { CROUS_API_KEY } from '../../helpers/validity.ts'
import { EsupSgc } from './helpers/esup-sgc.ts'

// Generous: on a loaded 2-vCPU machine (the suite runs two files at once) this takes minutes, not seconds.
t.setTimeout(360_000)

const CLIENT = { clientId: 'esup-sgc', clientSecret: 'esup-sgc-test-secret-0123' }
const extra = { SGC_CROUS_CLIENTS: `${CLIENT.clientId}:${CLIENT.clientSecret},other:other-client-secret-0123`, CROUS_API_KEYS: CROUS_API_KEY, FACADE_READ_DEADLINE_MS: '300' }

t.test('one card whichever adapter met it first; the validity service answers for façade cards at once', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, role: 'api', extra })
  const sgc = new EsupSgc(gateway.app, CLIENT)
  const validity = async (id: string): Promise<any> => (await gateway.app.inject({ method: 'GET', url: `/crous/v1/cards/${id}/validity`, headers: { 'x-api-key': CROUS_API_KEY } })).json()

  // Met first through the JSON intake, then opposed through the façade (by idZdc, then by CSN alone).
  const enabled = cardEvent({ state: 'ENABLED' })
  t.equal((await gateway.post(enabled)).status, 202)
  const crous = enabled.card.crous as NonNullable<typeof enabled.card.crous>
  const c8 = await sgc.call('C8', 'PATCH', `/beforeizly/v1/rightholders/${enabled.holder.eppn}/smartcard/${crous.idZdc}`, { headers: { uid: (enabled.card.csn as string).toLowerCase() }, body: { revalidationDate: '', reason: 'DV', cancelDate: sgc.localTime() } })
  t.equal(c8.status, 204)
  t.match(await gateway.registry.getCard(enabled.card.id), { version: 2, card: { id: enabled.card.id, state: 'DISABLED', disableReason: 'THEFT', crous: { idZdc: crous.idZdc, idTransmitter: crous.idTransmitter } } }, 'the JSON card, opposed, its CROUS data kept')
  t.match(await validity(enabled.card.csn as string), { valid: false, state: 'DISABLED', reason: 'THEFT' }, 'validity at once')

  const noCrous = cardEvent({ state: 'ENABLED', withCrous: false })
  t.equal((await gateway.post(noCrous)).status, 202)
  const byCsn = await sgc.call('C8', 'PATCH', `/beforeizly/v1/rightholders/${noCrous.holder.eppn}/smartcard/123456789012`, { headers: { uid: noCrous.card.csn as string }, body: { cancelDate: sgc.localTime(), reason: 'HS', revalidationDate: '' } })
  t.equal(byCsn.status, 204)
  t.match(await gateway.registry.getCard(noCrous.card.id), { card: { state: 'DISABLED', crous: { idZdc: '123456789012' } } }, 'found by CSN when the idZdc is new to the gateway')

  // Met first through the façade: a stable id from its CROUS number.
  const id = 'facade-first@univ.fr'
  const data = crousData('facade-first')
  const csn = csnOf('facade-first')
  const c6 = await sgc.call('C6', 'POST', `/beforeizly/v1/rightholders/${id}/smartcard`, { body: { idZdc: Number(data.idZdc), uid: csn, idTransmitter: 65, idMapping: 1, zdcCreationDate: '2026-09-01T00:00:00.000Z', pixSs: '03', pixNn: '0000', appl: 'D1', rid: null } })
  t.equal(c6.status, 201)
  t.match(await validity(data.idZdc), { valid: true, state: 'ENABLED', cardId: data.idZdc }, 'a façade card answers at once')
  t.match(await gateway.registry.getCard(`crous-zdc-${data.idZdc}`), { card: { csn, crous: { idZdc: data.idZdc, zdcCreationDate: '2026-08-31T22:00:00.000Z' } }, holder: { eppn: id, crousIdentifier: id, consents: { crous: true } } })
  const c5 = await sgc.call('C5', 'GET', `/beforeizly/v1/rightholders/${id}/smartcard/${data.idZdc}`)
  t.match(c5, { status: 200, body: { idZdc: Number(data.idZdc), uid: csn, zdcCreationDate: '2026-09-01T00:00:00.000Z' } }, 'C5 answers the card back in ESUP-SGC\'s local time')
  t.equal((await sgc.call('C5', 'GET', `/beforeizly/v1/rightholders/${id}/smartcard/99`)).status, 404, 'an unknown card is a 404: ESUP-SGC then sends C6')
})

t.test('the right-holder keys in the façade paths (eppn, INE) reach no log line, even at trace', async (t) => {
  const { logger, text } = captureLogger('trace')
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, role: 'all', extra, logger })
  const sgc = new EsupSgc(gateway.app, CLIENT)
  const eppn = 'edarcyq7741@univ-rouen.fr'
  t.equal((await sgc.call('C1', 'GET', `/beforeizly/v1/rightholders/${eppn}`)).status, 200)
  t.equal((await sgc.call('C3', 'PUT', `/beforeizly/v1/rightholders/${eppn}`, { body: { identifier: eppn, ine: 'QX7741ZPW', firstName: 'Eloise', email: null } })).status, 204)
  t.equal((await sgc.call('C8', 'PATCH', `/beforeizly/v1/rightholders/${eppn}/smartcard/123456`, { headers: { uid: '04A1B2C3D4E5F6' }, body: { cancelDate: sgc.localTime(), reason: 'DP', revalidationDate: '' } })).status, 204)
  t.equal((await sgc.call('C1', 'GET', '/beforeizly/v1/rightholders/QX7741ZPW')).status, 200)
  await driveToRest(gateway)
  t.ok(text().length > 0, 'the gateway logged')
  for (const value of [eppn, 'edarcyq7741', 'QX7741ZPW', 'Eloise']) t.notOk(text().includes(value), `${value} is in no log line`)
})

t.test('C1: the real CROUS within FACADE_READ_DEADLINE_MS, else what the gateway holds (dates as ESUP-SGC local time)', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, role: 'api', extra })
  const sgc = new EsupSgc(gateway.app, CLIENT)
  const id = 'slow-crous@univ.fr'
  izly.patchHolder(id, { rightHolder: { identifier: id, firstName: 'FROM-CROUS', dueDate: '2027-08-31T21:59:59.000Z', idCompanyRate: 2, idRate: 11 } })
  const live = await sgc.call('C1', 'GET', `/beforeizly/v1/rightholders/${id}`)
  t.match(live, { status: 200, body: { identifier: id, firstName: 'FROM-CROUS', dueDate: '2027-08-31T23:59:59.000Z', idCompanyRate: 2, accountStatus: 'ACTIF' } }, 'CROUS up: its answer')
  izly.setLatency(1500)
  const cached = await sgc.call('C1', 'GET', `/beforeizly/v1/rightholders/${id}`)
  t.match(cached, { status: 200, body: { firstName: 'FROM-CROUS' } }, 'CROUS past the deadline: the last CROUS answer')
  t.equal((await sgc.call('C3', 'PUT', `/beforeizly/v1/rightholders/${id}`, { body: { identifier: id, firstName: 'FROM-SGC', idCompanyRate: 2, idRate: 11 } })).status, 204)
  t.match(await sgc.call('C1', 'GET', `/beforeizly/v1/rightholders/${id}`), { status: 200, body: { firstName: 'FROM-SGC' } }, 'then the last body ESUP-SGC wrote')
  t.same((await sgc.call('C1', 'GET', '/beforeizly/v1/rightholders/never-seen@univ.fr')).body, { identifier: 'never-seen@univ.fr' }, 'nothing held: the minimal body, never a 404')
  izly.setLatency(0)
})
