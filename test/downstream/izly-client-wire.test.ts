import { XMLParser } from 'fast-xml-parser'
import nock from 'nock'
import t from 'tap'
import { createIzlyClient } from '../../src/downstream/izly/client.ts'
import { DownstreamError } from '../../src/downstream/errors.ts'

const ORIGIN = 'http://izly.test'
const NS = 'urn:leocarte:izly-card-service:v1'
const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/'
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd'

interface Captured { body: string, headers: Record<string, string | string[] | undefined> }

/** One canned answer; what was sent is captured. */
function answerOnce (status: number, xml: string): Captured {
  const captured: Captured = { body: '', headers: {} }
  nock(ORIGIN).post('/izly/soap').reply(function (_uri, body) {
    captured.body = typeof body === 'string' ? body : JSON.stringify(body)
    captured.headers = this.req.headers
    return [status, xml, { 'content-type': 'text/xml; charset=utf-8' }]
  })
  return captured
}

/** An element with its namespace resolved and its element children in document order. */
interface XmlNode { ns: string | undefined, name: string, children: XmlNode[], text: string }

function parseXml (xml: string): XmlNode {
  const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', processEntities: false, parseTagValue: false })
  const nodes = parser.parse(xml) as RawNode[]
  const root = toNodes(nodes, {})[0]
  if (root === undefined) throw new Error('no root element')
  return root
}

type RawNode = Record<string, unknown> & { ':@'?: Record<string, string> }

function toNodes (raw: RawNode[], scope: Record<string, string>): XmlNode[] {
  const nodes: XmlNode[] = []
  for (const item of raw) {
    const qname = Object.keys(item).find((key) => key !== ':@')
    if (qname === undefined || qname === '#text' || qname.startsWith('?')) continue
    const attributes = item[':@'] ?? {}
    const inner: Record<string, string> = { ...scope }
    for (const [key, value] of Object.entries(attributes)) {
      if (key === 'xmlns') inner[''] = value
      else if (key.startsWith('xmlns:')) inner[key.slice(6)] = value
    }
    const [prefix, local] = qname.includes(':') ? qname.split(':', 2) as [string, string] : ['', qname]
    const content = item[qname] as RawNode[]
    const text = content.filter((child) => '#text' in child).map((child) => String(child['#text'])).join('')
    nodes.push({ ns: inner[prefix], name: local, children: toNodes(content, inner), text })
  }
  return nodes
}

function child (node: XmlNode, name: string): XmlNode {
  const found = node.children.find((candidate) => candidate.name === name)
  if (found === undefined) throw new Error(`no <${name}> in <${node.name}>`)
  return found
}

function bodyElement (xml: string): XmlNode {
  const envelope = parseXml(xml)
  const body = child(envelope, 'Body')
  const [element] = body.children
  if (element === undefined) throw new Error('empty Body')
  return element
}

t.before(() => { nock.disableNetConnect() })
t.teardown(() => {
  nock.cleanAll()
  nock.enableNetConnect()
})

t.test('OpposeSmartCard on the wire: SOAP 1.1, the WSDL namespace, element names and order, headers', async (t) => {
  const client = await createIzlyClient({ endpoint: `${ORIGIN}/izly/soap`, username: 'leocarte', password: 's3cret', timeoutMs: 2000 })
  t.teardown(() => client.close())
  const captured = answerOnce(200, `<?xml version="1.0"?><S:Envelope xmlns:S="${SOAP_ENV}"><S:Body>` +
    `<ns2:OpposeSmartCardResponse xmlns:ns2="${NS}"><ns2:result>OPPOSED</ns2:result></ns2:OpposeSmartCardResponse></S:Body></S:Envelope>`)

  const outcome = await client.opposeSmartCard({ identifier: 'alice@univ-rouen.fr', idZdc: '250000000000123', uid: '04A1B2C3D4E5F6', reason: 'DV', cancelDate: '2025-10-01T12:00:00.000Z' }, { correlationId: 'evt-42' })
  t.equal(outcome, 'opposed', 'a JAX-WS style answer with a prefixed namespace is read')

  t.equal(captured.headers.soapaction, '"urn:leocarte:izly-card-service:v1:OpposeSmartCard"')
  t.match(captured.headers['content-type'], /^text\/xml/)
  t.equal(captured.headers['x-correlation-id'], 'evt-42')

  const envelope = parseXml(captured.body)
  t.same([envelope.ns, envelope.name], [SOAP_ENV, 'Envelope'])
  const token = child(child(child(envelope, 'Header'), 'Security'), 'UsernameToken')
  t.equal(child(token, 'Username').text, 'leocarte')
  t.equal(child(token, 'Password').text, 's3cret')
  t.equal(child(envelope, 'Header').children[0]?.ns, WSSE)
  t.match(captured.body, /Type="http:\/\/docs\.oasis-open\.org\/wss\/2004\/01\/oasis-200401-wss-username-token-profile-1\.0#PasswordText"/)

  const request = bodyElement(captured.body)
  t.same([request.ns, request.name], [NS, 'OpposeSmartCard'], 'the request element is the operation, in the WSDL namespace')
  t.same(request.children.map((element) => [element.ns, element.name, element.text]), [
    [NS, 'identifier', 'alice@univ-rouen.fr'],
    [NS, 'idZdc', '250000000000123'],
    [NS, 'uid', '04A1B2C3D4E5F6'],
    [NS, 'reason', 'DV'],
    [NS, 'cancelDate', '2025-10-01T12:00:00.000Z'],
  ], 'children qualified (elementFormDefault) and in xs:sequence order')
})

t.test('RegisterSmartCard and UpsertRightHolder write elements in schema order whatever the key order', async (t) => {
  const client = await createIzlyClient({ endpoint: `${ORIGIN}/izly/soap`, timeoutMs: 2000 })
  t.teardown(() => client.close())
  const answer = (name: string, result: string) => `<soap:Envelope xmlns:soap="${SOAP_ENV}"><soap:Body><${name} xmlns="${NS}"><result>${result}</result></${name}></soap:Body></soap:Envelope>`

  const register = answerOnce(200, answer('RegisterSmartCardResponse', 'REGISTERED'))
  await client.registerSmartCard('alice', {
    appl: 'D1', pixNn: '0000', pixSs: '03', zdcCreationDate: '2025-09-01T08:30:00.000Z', idMapping: 1, idTransmitter: 65, idZdc: '123', rid: 'AA', uid: '04AA',
  }, { correlationId: 'c' })
  const registerElement = bodyElement(register.body)
  t.equal(registerElement.name, 'RegisterSmartCard')
  t.same(child(registerElement, 'smartCard').children.map((element) => element.name),
    ['uid', 'rid', 'idZdc', 'idTransmitter', 'idMapping', 'zdcCreationDate', 'pixSs', 'pixNn', 'appl'])
  t.ok(child(registerElement, 'smartCard').children.every((element) => element.ns === NS))

  const upsert = answerOnce(200, answer('UpsertRightHolderResponse', 'CREATED'))
  t.equal(await client.createRightHolder({ rneOrgCode: '0761904G', idRate: 1, dueDate: '2099-01-01T00:00:00Z', identifier: 'alice' }, { correlationId: 'c' }), 'created')
  const upsertElement = bodyElement(upsert.body)
  t.equal(upsertElement.name, 'UpsertRightHolder')
  t.same(child(upsertElement, 'rightHolder').children.map((element) => element.name), ['identifier', 'dueDate', 'idRate', 'rneOrgCode'],
    'absent optional fields are left out, present ones keep the sequence order')
  t.same(upsertElement.children.map((element) => [element.name, element.text]).slice(1), [['mode', 'CREATE']], 'a creation says so after the holder')
})

t.test('PatchIdentifier, UncloseRightHolder and an UPDATE on the wire: the WSDL\'s elements, in order', async (t) => {
  const client = await createIzlyClient({ endpoint: `${ORIGIN}/izly/soap`, timeoutMs: 2000 })
  t.teardown(() => client.close())
  const answer = (name: string, result: string) => `<soap:Envelope xmlns:soap="${SOAP_ENV}"><soap:Body><${name} xmlns="${NS}"><result>${result}</result></${name}></soap:Body></soap:Envelope>`

  const patch = answerOnce(200, answer('PatchIdentifierResponse', 'PATCHED'))
  await client.patchIdentifier({ newIdentifier: '0123456789A', email: 'alice@univ-rouen.fr', currentIdentifier: 'alice@univ-rouen.fr' }, { correlationId: 'c' })
  t.equal(patch.headers.soapaction, '"urn:leocarte:izly-card-service:v1:PatchIdentifier"')
  const patchElement = bodyElement(patch.body)
  t.same([patchElement.ns, patchElement.name], [NS, 'PatchIdentifier'])
  t.same(patchElement.children.map((element) => [element.ns, element.name, element.text]),
    [[NS, 'currentIdentifier', 'alice@univ-rouen.fr'], [NS, 'email', 'alice@univ-rouen.fr'], [NS, 'newIdentifier', '0123456789A']])

  const unclose = answerOnce(200, answer('UncloseRightHolderResponse', 'UNCLOSED'))
  await client.uncloseRightHolder('alice', { correlationId: 'c' })
  t.equal(unclose.headers.soapaction, '"urn:leocarte:izly-card-service:v1:UncloseRightHolder"')
  t.same(bodyElement(unclose.body).children.map((element) => [element.ns, element.name, element.text]), [[NS, 'identifier', 'alice']])

  const update = answerOnce(200, answer('UpsertRightHolderResponse', 'UPDATED'))
  await client.updateRightHolder({ identifier: 'alice', idRate: 1 }, { correlationId: 'c' })
  t.same(bodyElement(update.body).children.map((element) => element.name === 'mode' ? ['mode', element.text] : [element.name]), [['rightHolder'], ['mode', 'UPDATE']])

  answerOnce(200, answer('PatchIdentifierResponse', 'DONE'))
  const error = await client.patchIdentifier({ currentIdentifier: 'a', newIdentifier: 'b' }, { correlationId: 'c' }).catch((caught: unknown) => caught)
  t.match(error, { code: 'INVALID_RESPONSE' }, 'a result outside the enumeration is not a success')
})

t.test('a JAX-WS style fault with a prefixed IzlyFault detail', async (t) => {
  const client = await createIzlyClient({ endpoint: `${ORIGIN}/izly/soap`, timeoutMs: 2000 })
  t.teardown(() => client.close())
  answerOnce(500, `<S:Envelope xmlns:S="${SOAP_ENV}"><S:Body><S:Fault><faultcode>S:Client</faultcode><faultstring>Client inconnu</faultstring>` +
    `<detail><ns2:IzlyFault xmlns:ns2="${NS}"><ns2:httpStatus>422</ns2:httpStatus><ns2:code>-42</ns2:code><ns2:message>Client inconnu</ns2:message>` +
    '<ns2:retryable>false</ns2:retryable></ns2:IzlyFault></detail></S:Fault></S:Body></S:Envelope>')
  const error = await client.getSmartCard('alice', '123', { correlationId: 'c' }).catch((caught: unknown) => caught)
  t.ok(error instanceof DownstreamError)
  t.match(error, { downstream: 'izly', code: '-42', httpStatus: 422, transient: false })
})

t.test('an HTML page with 200 is not taken for an answer', async (t) => {
  const client = await createIzlyClient({ endpoint: `${ORIGIN}/izly/soap`, timeoutMs: 2000 })
  t.teardown(() => client.close())
  answerOnce(200, '<html><body>Proxy login</body></html>')
  const error = await client.getSmartCard('alice', '123', { correlationId: 'c' }).catch((caught: unknown) => caught)
  t.match(error, { code: 'INVALID_RESPONSE', transient: true, doubtful: true })
})

t.test('a 200 that is not the operation\'s answer is never taken for a success', async (t) => {
  const client = await createIzlyClient({ endpoint: `${ORIGIN}/izly/soap`, timeoutMs: 2000 })
  t.teardown(() => client.close())
  const opposition = { identifier: 'alice', idZdc: '123', uid: '04AA', reason: 'DP' as const, cancelDate: '2025-10-01T12:00:00.000Z' }
  const envelope = (body: string) => `<soap:Envelope xmlns:soap="${SOAP_ENV}"><soap:Body>${body}</soap:Body></soap:Envelope>`
  for (const [name, xml] of [
    ['an empty Body', envelope('')],
    ['an empty HTTP body', ''],
    ['a result outside the enumeration', envelope(`<OpposeSmartCardResponse xmlns="${NS}"><result>DONE</result></OpposeSmartCardResponse>`)],
    ['another operation\'s answer', envelope(`<RevalidateSmartCardResponse xmlns="${NS}"><result>REVALIDATED</result></RevalidateSmartCardResponse>`)],
  ] as const) {
    answerOnce(200, xml)
    const error = await client.opposeSmartCard(opposition, { correlationId: 'c' }).catch((caught: unknown) => caught)
    t.match(error, { code: 'INVALID_RESPONSE', transient: true, doubtful: true }, `OpposeSmartCard: ${name}`)
  }
  answerOnce(200, envelope(''))
  const error = await client.getSmartCard('alice', '123', { correlationId: 'c' }).catch((caught: unknown) => caught)
  t.match(error, { code: 'INVALID_RESPONSE', transient: true, doubtful: true }, 'GetSmartCard: an empty Body is not a card')
})
