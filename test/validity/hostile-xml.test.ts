import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import t from 'tap'
import { guardXml, XmlRefused } from '../../src/validity/soap/xml-guard.ts'
import { parseXml } from '../../src/validity/soap/xml-tree.ts'
import { envelopeAround, HOSTILE_XML } from '../fixtures/hostile-xml.ts'
import { checkEnvelope, startValidityGateway } from '../helpers/validity.ts'

const LIMITS = { maxBytes: 16 * 1024, maxDepth: 32 }

t.test('every known attack and malformed body is refused by the parser for the expected reason', async (t) => {
  for (const attack of HOSTILE_XML) {
    const started = performance.now()
    let caught: unknown
    try { parseXml(attack.body, LIMITS) } catch (error) { caught = error }
    t.ok(caught instanceof XmlRefused, `${attack.name}: refused`)
    t.equal((caught as XmlRefused).reason, attack.reason, `${attack.name}: ${(caught as Error).message}`)
    t.ok(performance.now() - started < 50, `${attack.name}: quickly`)
  }
})

t.test('what a SOAP message legitimately holds passes the guard', async (t) => {
  const body = checkEnvelope('04A1B2C3', { auth: 'PasswordDigest' })
  t.doesNotThrow(() => guardXml(`\uFEFF${body}`, LIMITS), 'a BOM before the declaration')
  const tree = parseXml(envelopeAround(`<!-- a comment --><CheckCardValidity xmlns="urn:x"><cardId><![CDATA[a&amp;<b>]]>&#x41;&#66;&lt;&amp;</cardId></CheckCardValidity>`), LIMITS)
  const cardId = tree.children[0]?.children[0]?.children[0]
  t.equal(cardId?.text, 'a&amp;<b>AB<&', 'CDATA is kept as is, references are decoded once')
  t.equal(cardId?.ns, 'urn:x', 'namespaces resolved, prefixes are the sender\'s choice')
})

t.test('over HTTP: each attack is a SOAP Client fault, never a 500 nor a stack trace, and memory stays flat', async (t) => {
  const gateway = await startValidityGateway(t)
  // Warm-up, then a measured round of every attack many times over.
  for (const attack of HOSTILE_XML) await gateway.soap(attack.body)
  const gc = exposeGc()
  gc()
  const heapBefore = process.memoryUsage().heapUsed
  const started = performance.now()
  let requests = 0
  for (let round = 0; round < 20; round++) {
    for (const attack of HOSTILE_XML) {
      const answer = await gateway.soap(attack.body)
      requests++
      if (round > 0) continue
      t.equal(answer.status, attack.reason === 'too-large' ? 413 : 400, `${attack.name}: status`)
      t.match(answer.headers['content-type'], /^text\/xml/, `${attack.name}: a SOAP answer`)
      t.match(answer.body, /<faultcode>soap:Client<\/faultcode>/, `${attack.name}: Client fault`)
      t.notMatch(answer.body, /at .*\.ts:\d+|Error:|passwd|root:/, `${attack.name}: no stack trace, no file content`)
    }
  }
  const elapsed = performance.now() - started
  gc()
  const growth = process.memoryUsage().heapUsed - heapBefore
  t.ok(elapsed / requests < 20, `${requests} hostile requests, ${(elapsed / requests).toFixed(2)} ms each on average`)
  t.ok(growth < 16 * 1024 * 1024, `heap grew by ${(growth / 1024 / 1024).toFixed(1)} MiB (an expanded billion laughs alone would be GiBs)`)

  const soap12 = await gateway.soap(HOSTILE_XML[0]?.body ?? '', 'application/soap+xml; charset=utf-8')
  t.equal(soap12.status, 400)
  t.match(soap12.body, /<soap:Value>soap:Sender<\/soap:Value>/, 'a SOAP 1.2 caller gets a SOAP 1.2 Sender fault')
})

t.test('the size and depth limits are configuration', async (t) => {
  const gateway = await startValidityGateway(t, { extra: { SOAP_MAX_BODY_BYTES: '2048', SOAP_MAX_DEPTH: '8' } })
  const padded = checkEnvelope('04A1B2C3', { headers: `<x:Pad xmlns:x="urn:pad">${'p'.repeat(2048)}</x:Pad>` })
  t.equal((await gateway.soap(padded)).status, 413)
  const deep = checkEnvelope('04A1B2C3', { headers: `<x:D xmlns:x="urn:pad">${'<x:D>'.repeat(6)}${'</x:D>'.repeat(6)}</x:D>` })
  const answer = await gateway.soap(deep)
  t.equal(answer.status, 400)
  t.match(answer.body, /deeper than 8 levels/)
})

/** `gc()` without starting node with --expose-gc. */
function exposeGc (): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}
