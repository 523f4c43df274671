// The ESUP-SGC façades are limited per client like the SGC's intake (RATE_LIMIT_SGC), and a refusal
// comes in the body the connector reads: the ESC Router's {code, message}, API CROUS's {"errors": [...]}.
import t from 'tap'
import { ESC_FACADE_BASE } from '../../../src/facade/esc-router/routes.ts'
import { CLIENT } from '../../facade/api-crous/helpers/drills.ts'
import { EsupSgc } from '../../facade/api-crous/helpers/esup-sgc.ts'
import { escnOf, ineOf, testEsc } from '../../helpers/esc.ts'
import { esupHeaders } from '../../helpers/esup-sgc-esc.ts'
import { startTestGateway } from '../../helpers/gateway.ts'
import { esiFromIne } from '../../../src/domain/esc-identifiers.ts'

const KEY = 'esc-facade-limit-key-0123456789'

t.test('ESC Router façade: beyond RATE_LIMIT_SGC, 429 with Retry-After and exactly {code, message}', async (t) => {
  const esc = await testEsc(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: 'http://127.0.0.1:9/izly', role: 'api', escEndpoint: esc.endpoint, extra: { SGC_ESC_KEYS: KEY, RATE_LIMIT_SGC: '2', FACADE_READ_DEADLINE_MS: '300' } })
  const esi = esiFromIne(ineOf('facade-limits'))
  const get = async (): Promise<{ statusCode: number, headers: Record<string, unknown>, json: () => unknown }> => await gateway.app.inject({ method: 'GET', url: `${ESC_FACADE_BASE}/persons/${esi}`, headers: esupHeaders(KEY) })
  for (let i = 0; i < 2; i++) t.equal((await get()).statusCode, 404, `call ${i + 1} answered (an unknown person)`)
  const refused = await get()
  t.equal(refused.statusCode, 429)
  t.ok(Number(refused.headers['retry-after']) >= 1, 'Retry-After in seconds')
  t.same(Object.keys(refused.json() as object).sort(), ['code', 'message'], 'the router\'s error body and nothing else')
  t.match(refused.json(), { code: 'LEO-0429' })
  const card = await gateway.app.inject({ method: 'DELETE', url: `${ESC_FACADE_BASE}/cards/${escnOf('facade-limits')}`, headers: esupHeaders(KEY) })
  t.equal(card.statusCode, 429, 'a write beyond the limit is refused too (ESUP-SGC rolls back; nothing stored)')
})

t.test('API CROUS façade: beyond RATE_LIMIT_SGC, 429 with Retry-After and API CROUS\'s error body', async (t) => {
  const gateway = await startTestGateway(t, { izlyEndpoint: 'http://127.0.0.1:9/izly', role: 'api', extra: { SGC_CROUS_CLIENTS: `${CLIENT.clientId}:${CLIENT.clientSecret}`, RATE_LIMIT_SGC: '2', FACADE_READ_DEADLINE_MS: '300' } })
  const sgc = new EsupSgc(gateway.app, CLIENT)
  t.equal(await sgc.authenticate(), 200)
  const path = '/beforeizly/v1/rightholders/limits@univ-test.fr'
  for (let i = 0; i < 2; i++) t.equal((await sgc.call('C1', 'GET', path)).status, 200, `call ${i + 1} answered`)
  const refused = await sgc.call('C1', 'GET', path)
  t.equal(refused.status, 429)
  t.match(refused.body, { errors: [{ code: 'rate-limited', message: /./, field: null }] })
})
