// Every integer of the contracts has bounds, the JSON schemas and the WSDLs agree on each shared field,
// and intake refuses what the Izly WSDL's xs:int cannot carry (`idTransmitter: 1e308` used to go out
// as `1e+308`). Through the real gateway, with the Izly simulator.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { XMLParser } from 'fast-xml-parser'
import { parse as parseYaml } from 'yaml'
import { GATEWAY_OPENAPI_URL } from '../../src/intake/card-event-schema.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { testIzly } from '../helpers/izly.ts'
import { waitFor } from '../helpers/wait.ts'

const INT32_MAX = 2_147_483_647

t.test('intake refuses integers outside the range the Izly contract carries, naming the field', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, role: 'api' })
  const out: Array<[string, (event: ReturnType<typeof cardEvent>) => void]> = [
    ['card.crous.idTransmitter', (event) => { (event.card.crous as { idTransmitter: number }).idTransmitter = 1e308 }],
    ['card.crous.idTransmitter', (event) => { (event.card.crous as { idTransmitter: number }).idTransmitter = INT32_MAX + 1 }],
    ['card.crous.idMapping', (event) => { (event.card.crous as { idMapping: number }).idMapping = -1 }],
    ['holder.idCompanyRate', (event) => { event.holder.idCompanyRate = 2 ** 53 }],
    ['holder.idRate', (event) => { event.holder.idRate = -2_147_483_649 }],
  ]
  for (const [field, spoil] of out) {
    const event = cardEvent()
    spoil(event)
    const answer = await gateway.post(event)
    t.equal(answer.status, 400, `${field} out of range: 400`)
    t.match(answer.body.errors, [{ field, message: /must be (?:<=|>=)/ }], `${field} is named`)
  }
})

t.test('the largest integers the contracts allow reach Izly as written', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url })
  const event = cardEvent({ state: 'ENABLED' })
  Object.assign(event.card.crous as object, { idTransmitter: INT32_MAX, idMapping: 0 })
  event.holder.idCompanyRate = INT32_MAX
  t.equal((await gateway.post(event)).status, 202)
  const held = await waitFor('the card at Izly', () => izly.dumpState().cards.find((card) => card.smartCard.idZdc === event.card.crous?.idZdc))
  t.equal(Number(held.smartCard.idTransmitter), INT32_MAX, 'idTransmitter went out as 2147483647')
  t.equal(Number(held.smartCard.idMapping), 0)
})

/** [min, max] of an integer; infinite where the contract says nothing. */
type Range = [number, number]

const XS_RANGES: Readonly<Record<string, Range>> = {
  'xs:int': [-2_147_483_648, INT32_MAX],
  'xs:short': [-32_768, 32_767],
  'xs:byte': [-128, 127],
  'xs:unsignedInt': [0, 4_294_967_295],
  'xs:unsignedShort': [0, 65_535],
  'xs:long': [-Infinity, Infinity],
  'xs:integer': [-Infinity, Infinity],
  'xs:nonNegativeInteger': [0, Infinity],
  'xs:positiveInteger': [1, Infinity],
}

/** Every integer element of a WSDL's schema, by name, with its range (through named simple types). */
function wsdlIntegers (path: string): Map<string, Range[]> {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (_name, _path, _leaf, isAttribute) => isAttribute !== true })
  const document = parser.parse(readFileSync(new URL(`../../wsdl/${path}`, import.meta.url), 'utf8')) as any
  const schema = document['wsdl:definitions'][0]['wsdl:types'][0]['xs:schema'][0]
  const simple = new Map<string, Range>()
  for (const type of schema['xs:simpleType'] ?? []) {
    const restriction = type['xs:restriction']?.[0]
    const base = XS_RANGES[restriction?.base]
    if (base === undefined) continue
    const facet = (name: string): number | undefined => restriction[name] === undefined ? undefined : Number(restriction[name][0].value)
    simple.set(`tns:${type.name}`, [facet('xs:minInclusive') ?? base[0], facet('xs:maxInclusive') ?? base[1]])
  }
  const found = new Map<string, Range[]>()
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) { node.forEach(visit); return }
    if (node === null || typeof node !== 'object') return
    for (const [key, child] of Object.entries(node)) {
      if (key === 'xs:element') {
        for (const element of child as Array<{ name?: string, type?: string }>) {
          const range = XS_RANGES[element.type ?? ''] ?? simple.get(element.type ?? '')
          if (element.name !== undefined && range !== undefined) found.set(element.name, [...(found.get(element.name) ?? []), range])
        }
      }
      visit(child)
    }
  }
  visit(schema)
  return found
}

/** Every integer property (and parameter or header schema) of an OpenAPI document, by name, with its range. */
function openApiIntegers (document: unknown): Map<string, Range[]> {
  const found = new Map<string, Range[]>()
  const visit = (node: unknown, name: string): void => {
    if (Array.isArray(node)) { node.forEach((item) => visit(item, name)); return }
    if (node === null || typeof node !== 'object') return
    const schema = node as Record<string, unknown>
    if (schema.type === 'integer') {
      const range: Range = [typeof schema.minimum === 'number' ? schema.minimum : -Infinity, typeof schema.maximum === 'number' ? schema.maximum : Infinity]
      found.set(name, [...(found.get(name) ?? []), range])
    }
    const parameterName = typeof schema.name === 'string' ? schema.name : undefined
    for (const [key, child] of Object.entries(schema)) {
      if (key === 'properties' && child !== null && typeof child === 'object') {
        for (const [property, sub] of Object.entries(child)) visit(sub, property)
      } else if (key === 'headers' && child !== null && typeof child === 'object') {
        for (const [header, sub] of Object.entries(child)) visit(sub, header)
      } else {
        visit(child, key === 'schema' && parameterName !== undefined ? parameterName : key === 'schema' || key === 'items' ? name : key)
      }
    }
  }
  visit(document, '')
  return found
}

t.test('every integer of the contracts is bounded, and the JSON schemas and the WSDLs agree on each shared field', async (t) => {
  const gateway = openApiIntegers(parseYaml(readFileSync(GATEWAY_OPENAPI_URL, 'utf8')))
  const router = openApiIntegers(parseYaml(readFileSync(new URL('../../openapi/esc-router-v2.yaml', import.meta.url), 'utf8')))
  const izly = wsdlIntegers('izly-card-service.wsdl')
  const validity = wsdlIntegers('crous-card-validity.wsdl')
  t.ok(gateway.size >= 10 && izly.size >= 5, `${gateway.size} integer fields in gateway.yaml, ${izly.size} in the Izly WSDL`)

  for (const [document, fields] of [['openapi/gateway.yaml', gateway], ['openapi/esc-router-v2.yaml', router], ['izly-card-service.wsdl', izly], ['crous-card-validity.wsdl', validity]] as const) {
    for (const [name, ranges] of fields) {
      for (const [min, max] of ranges) t.ok(Number.isFinite(min) && Number.isFinite(max), `${document} ${name}: bounded [${min}, ${max}]`)
    }
  }

  const wsdl = new Map<string, Range[]>([...izly, ...validity])
  const shared = [...gateway.keys()].filter((name) => wsdl.has(name))
  t.same(shared.sort(), ['httpStatus', 'idCompanyRate', 'idMapping', 'idRate', 'idTransmitter'], 'the fields both contracts carry')
  for (const name of shared) {
    const ranges = [...(gateway.get(name) ?? []), ...(wsdl.get(name) ?? [])]
    t.same(new Set(ranges.map((range) => range.join('..'))).size, 1, `${name}: one range everywhere (${ranges.map((range) => range.join('..')).join(', ')})`)
  }
  t.same(gateway.get('idTransmitter'), [[0, INT32_MAX]], 'idTransmitter: 0 to the xs:int maximum')
})
