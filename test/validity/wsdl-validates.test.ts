// The served contract is checked by tools that do not share our code: xmllint (libxml2) validates the
// WSDL against the WSDL 1.1 schema and the gateway's real messages against the WSDL's own schema inside
// the SOAP 1.1 envelope schema; Python's xmlschema compiles the embedded schema against the XML Schema
// 1.0 meta-schema and resolves every message, port type and binding reference.
// The schema files come from Debian's python3-xmlschema. Locally, a missing tool skips its test; in CI
// (CI set) it fails, so the check cannot silently stop running. CI installs: libxml2-utils python3-xmlschema.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { VALIDITY_WSDL_PATH } from '../../src/validity/soap/wsdl-contract.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { escnOf, startRouterStatusStub } from '../helpers/router-status-stub.ts'
import { checkEnvelope, startValidityGateway } from '../helpers/validity.ts'

const WSDL = readFileSync(VALIDITY_WSDL_PATH, 'utf8')
const work = mkdtempSync(join(tmpdir(), 'leocarte-wsdl-'))

function python (): { command: string, schemas: string } | undefined {
  for (const command of ['/usr/bin/python3', 'python3']) {
    const found = spawnSync(command, ['-c', 'import os, xmlschema; print(os.path.join(os.path.dirname(xmlschema.__file__), "schemas"))'], { encoding: 'utf8' })
    const schemas = found.stdout?.trim()
    if (found.status === 0 && schemas !== undefined && existsSync(join(schemas, 'WSDL', 'wsdl.xsd'))) return { command, schemas }
  }
  return undefined
}

const xmllint = spawnSync('xmllint', ['--version'], { encoding: 'utf8' }).status === 0
const py = python()

/** Skips locally, fails in CI, when a tool is missing. */
function need (t: Test, what: string, present: boolean): boolean {
  if (present) return true
  if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') t.fail(`${what} is required in CI (apt-get install libxml2-utils python3-xmlschema)`)
  else t.plan(0, `${what} not installed`)
  return false
}

function lint (t: Test, schema: string, file: string, what: string): void {
  const run = spawnSync('xmllint', ['--noout', '--nonet', '--schema', schema, file], { encoding: 'utf8' })
  t.equal(run.status, 0, `${what} validates`, { stderr: run.stderr })
}

function write (name: string, text: string): string {
  const path = join(work, name)
  writeFileSync(path, text)
  return path
}

t.test('xmllint: the WSDL is valid WSDL 1.1 with valid SOAP binding extensions', async (t) => {
  if (!need(t, 'xmllint', xmllint) || !need(t, 'the WSDL 1.1 schemas (python3-xmlschema)', py !== undefined)) return
  const dir = join(py?.schemas ?? '', 'WSDL')
  const wrapper = write('wsdl-wrapper.xsd', `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:leocarte:test:wrapper">
  <xs:import namespace="http://schemas.xmlsoap.org/wsdl/" schemaLocation="${join(dir, 'wsdl.xsd')}"/>
  <xs:import namespace="http://schemas.xmlsoap.org/wsdl/soap/" schemaLocation="${join(dir, 'wsdl-soap.xsd')}"/>
</xs:schema>`)
  lint(t, wrapper, VALIDITY_WSDL_PATH, 'wsdl/crous-card-validity.wsdl')
})

t.test('xmllint: the embedded schema compiles, and the gateway\'s real messages are valid against it', async (t) => {
  if (!need(t, 'xmllint', xmllint) || !need(t, 'the SOAP envelope schema (python3-xmlschema)', py !== undefined)) return
  const inline = /<xs:schema[\s\S]*<\/xs:schema>/.exec(WSDL)?.[0] ?? ''
  t.ok(inline !== '', 'the WSDL has an inline schema')
  const schema = write('crous-card-validity.xsd', inline.replace('<xs:schema ', '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:leocarte:crous-card-validity:v1" '))
  const wrapper = write('messages-wrapper.xsd', `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:leocarte:test:wrapper">
  <xs:import namespace="http://schemas.xmlsoap.org/soap/envelope/" schemaLocation="${join(py?.schemas ?? '', 'WSDL', 'soap-envelope.xsd')}"/>
  <xs:import namespace="urn:leocarte:crous-card-validity:v1" schemaLocation="${schema}"/>
</xs:schema>`)

  const router = await startRouterStatusStub(t)
  const gateway = await startValidityGateway(t, { routerUrl: router.baseUrl })
  const held = cardEvent({ state: 'DISABLED', disableReason: 'LOST' })
  held.card.expiresAt = '2099-08-31'
  await gateway.post(held)
  const foreign = escnOf(7001, '123456789')
  router.put({ cardNumber: foreign, status: 'ACTIVE', expiresAt: '2099-06-30', issuerIdentifier: '123456789', issuerName: 'Université <&> Test' })

  const messages: Array<[string, string]> = [
    ['a request (with idType)', checkEnvelope(held.card.csn as string, { idType: 'csn' })],
    ['an answer from the registry', (await gateway.soap(checkEnvelope(held.card.csn as string))).body],
    ['an answer from the router, with an issuer', (await gateway.soap(checkEnvelope(foreign))).body],
    ['the UnknownCard fault', (await gateway.soap(checkEnvelope('0A0B0C0D'))).body],
    ['the InvalidRequest fault', (await gateway.soap(checkEnvelope('nope'))).body],
    ['an authentication fault', (await gateway.soap(checkEnvelope('0A0B0C0D', { password: 'wrong' }))).body],
    ['a refused body', (await gateway.soap('<!DOCTYPE x []><x/>')).body],
  ]
  router.outage = 503
  messages.push(['the RouterUnavailable fault', (await gateway.soap(checkEnvelope(escnOf(7002)))).body])
  t.match(messages[2]?.[1], /<validity>.*<issuer><identifier>123456789<\/identifier><name>Université &lt;&amp;&gt; Test<\/name><\/issuer>/, 'text is escaped')
  for (const [index, [what, xml]] of messages.entries()) lint(t, wrapper, write(`message-${index}.xml`, xml), what)
})

t.test('Python xmlschema: the WSDL document, its schema against the XSD 1.0 meta-schema, every reference', async (t) => {
  if (!need(t, 'python3 with xmlschema', py !== undefined)) return
  // xmlschema 1.10's WSDL reader knows SOAP 1.1 bindings only: the SOAP 1.2 binding and port are checked
  // against the 1.1 ones below, then left out of this copy.
  const soap11Only = WSDL
    .replace(/<wsdl:binding name="CrousCardValiditySoap12Binding"[\s\S]*?<\/wsdl:binding>/, '')
    .replace(/<wsdl:port name="CrousCardValiditySoap12Port"[\s\S]*?<\/wsdl:port>/, '')
  const file = write('soap11-only.wsdl', soap11Only)
  const script = `
import sys
from xmlschema.extras.wsdl import Wsdl11Document
wsdl = Wsdl11Document(sys.argv[1], validation='strict')
ns = '{urn:leocarte:crous-card-validity:v1}'
binding = wsdl.bindings[ns + 'CrousCardValiditySoap11Binding']
operation = binding.port_type.operations[('CheckCardValidity', None, None)]
print(sorted(operation.faults))
for name in ['CheckCardValidity', 'CheckCardValidityResponse', 'UnknownCard', 'InvalidRequest', 'RouterUnavailable']:
    assert wsdl.schema.maps.elements[ns + name] is not None, name
print('ok')
`
  const run = spawnSync(py?.command ?? 'python3', ['-c', script, file], { encoding: 'utf8' })
  t.equal(run.status, 0, 'Wsdl11Document accepts it', { stderr: run.stderr })
  t.match(run.stdout, /\['InvalidRequest', 'RouterUnavailable', 'UnknownCard'\]\nok/)

  const operations = (binding: string): string[] => [...(new RegExp(`<wsdl:binding name="${binding}"[\\s\\S]*?</wsdl:binding>`).exec(WSDL)?.[0] ?? '').matchAll(/<wsdl:(?:operation|fault) name="(\w+)"/g)].map((match) => match[1] as string)
  t.same(operations('CrousCardValiditySoap12Binding'), operations('CrousCardValiditySoap11Binding'), 'the SOAP 1.2 binding has the same operations and faults')
})
