// The SOAP service's edges: names a parser reserves are the sender's fault (no 500, no error log a
// stranger can write at will), a SOAP 1.2 caller is answered in SOAP 1.2 on every path, and the served
// WSDL never names a host the gateway was not configured as. Through the real routes.
import t from 'tap'
import { captureLogger, LOG_LEVELS } from '../helpers/capture-log.ts'
import { checkEnvelope, startValidityGateway } from '../helpers/validity.ts'

const SOAP11 = 'text/xml; charset=utf-8'
const SOAP12 = 'application/soap+xml; charset=utf-8'

t.test('an element or attribute named __proto__ or constructor is a Client fault, never a 500 or an error log', async (t) => {
  const capture = captureLogger('info')
  const gateway = await startValidityGateway(t, { logger: capture.logger })
  const envelope = checkEnvelope('04A1B2C3D4E5F6')
  const hostile = [
    ['an element __proto__', envelope.replace('<v:cardId>', '<__proto__>x</__proto__><v:cardId>')],
    ['an element constructor', envelope.replace('<v:cardId>', '<constructor/><v:cardId>')],
    ['an attribute __proto__', envelope.replace('<v:cardId>', '<v:cardId __proto__="1">')],
    ['an attribute constructor', envelope.replace('<v:CheckCardValidity>', '<v:CheckCardValidity constructor="x">')],
  ] as const
  for (const [name, body] of hostile) {
    for (const [version, contentType] of [['1.1', SOAP11], ['1.2', SOAP12]] as const) {
      const xml = version === '1.2' ? body.replace('http://schemas.xmlsoap.org/soap/envelope/', 'http://www.w3.org/2003/05/soap-envelope') : body
      const answer = await gateway.soap(xml, contentType)
      t.equal(answer.status, 400, `${name}, SOAP ${version}: 400`)
      t.match(answer.body, version === '1.1' ? /<faultcode>soap:Client<\/faultcode>/ : /<soap:Value>soap:Sender<\/soap:Value>/, `${name}, SOAP ${version}: the sender's fault`)
      t.notMatch(answer.body, /internal error|at .*\.ts/, 'no internal error, no stack')
    }
  }
  t.same(capture.lines.filter((line) => line.level >= LOG_LEVELS.error), [], 'no error-level log line')
})

t.test('a SOAP 1.2 caller gets SOAP 1.2 on every path: too large, unreadable, not XML, not SOAP', async (t) => {
  const gateway = await startValidityGateway(t, { extra: { SOAP_MAX_BODY_BYTES: '2048' } })
  const soap12 = checkEnvelope('04A1B2C3D4E5F6', { version: '1.2' })
  const cases: Array<[string, () => Promise<{ status: number, headers: Record<string, unknown>, body: string }>, number]> = [
    ['a body over SOAP_MAX_BODY_BYTES (refused by its Content-Length, before the service)', async () => await gateway.soap(soap12 + ' '.repeat(4096), SOAP12), 413],
    ['a body that is not UTF-8', async () => {
      const response = await gateway.app.inject({ method: 'POST', url: '/crous/v1/soap', payload: Buffer.from([0x3c, 0xff, 0xfe, 0x3e]), headers: { 'content-type': SOAP12 } })
      return { status: response.statusCode, headers: response.headers, body: response.body }
    }, 400],
    ['malformed XML', async () => await gateway.soap('<e:Envelope', SOAP12), 400],
    ['a DOCTYPE', async () => await gateway.soap('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', SOAP12), 400],
    ['a document that is not SOAP', async () => await gateway.soap('<x/>', SOAP12), 400],
  ]
  for (const [name, send, status] of cases) {
    const answer = await send()
    t.equal(answer.status, status, `${name}: ${status}`)
    t.match(answer.headers['content-type'], /^application\/soap\+xml/, `${name}: application/soap+xml`)
    t.match(answer.body, /<soap:Envelope xmlns:soap="http:\/\/www\.w3\.org\/2003\/05\/soap-envelope">/, `${name}: a SOAP 1.2 envelope`)
    t.match(answer.body, /<soap:Value>soap:Sender<\/soap:Value>/, `${name}: a Sender fault`)
  }
  const soap11 = await gateway.soap(checkEnvelope('04A1B2C3D4E5F6') + ' '.repeat(4096), SOAP11)
  t.equal(soap11.status, 413, 'SOAP 1.1 too large: 413')
  t.match(soap11.body, /<faultcode>soap:Client<\/faultcode>/, 'in SOAP 1.1')
})

t.test('the served WSDL names only a configured or allowed host', async (t) => {
  const wsdl = async (gateway: Awaited<ReturnType<typeof startValidityGateway>>, host: string): Promise<{ status: number, body: string }> => {
    const response = await gateway.app.inject({ method: 'GET', url: '/crous/v1/soap?wsdl', headers: { host } })
    return { status: response.statusCode, body: response.body }
  }
  const bare = await startValidityGateway(t)
  t.match((await wsdl(bare, '127.0.0.1:3000')).body, /location="http:\/\/127\.0\.0\.1:3000\/crous\/v1\/soap"/, 'unconfigured: a loopback Host is written in')
  t.match((await wsdl(bare, 'localhost')).body, /location="http:\/\/localhost\/crous\/v1\/soap"/)
  const evil = await wsdl(bare, 'attacker.example')
  t.equal(evil.status, 421, 'unconfigured: any other Host is refused (421 Misdirected Request)')
  t.match(JSON.parse(evil.body), { type: /wsdl-host-not-allowed$/, detail: /PUBLIC_BASE_URL.*PUBLIC_HOSTS/ })
  t.notMatch(evil.body, /attacker\.example/, 'and never echoed')

  const listed = await startValidityGateway(t, { extra: { PUBLIC_HOSTS: 'gw.univ-rouen.fr,gw.univ-rouen.fr:8443' } })
  t.match((await wsdl(listed, 'GW.univ-rouen.fr:8443')).body, /location="http:\/\/gw\.univ-rouen\.fr:8443\/crous\/v1\/soap"/, 'a listed Host is written in')
  t.equal((await wsdl(listed, 'attacker.example')).status, 421, 'an unlisted one is refused')
  t.equal((await wsdl(listed, 'localhost')).status, 421, 'with a list, loopback is not implied')

  const fixed = await startValidityGateway(t, { extra: { PUBLIC_BASE_URL: 'https://gw.univ-rouen.fr' } })
  const answer = await wsdl(fixed, 'attacker.example')
  t.equal(answer.status, 200, 'with PUBLIC_BASE_URL the Host does not matter')
  t.match(answer.body, /location="https:\/\/gw\.univ-rouen\.fr\/crous\/v1\/soap"/)
  t.notMatch(answer.body, /attacker/)
})
