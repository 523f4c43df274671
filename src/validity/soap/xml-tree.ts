import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { guardXml, type XmlGuardLimits, XmlRefused } from './xml-guard.ts'

/** An element with its namespace resolved, as SOAP processing needs it (prefixes are the sender's choice). */
export interface XmlElement {
  ns: string | undefined
  local: string
  /** Attributes by `{namespace}local` (`local` alone when unqualified), values decoded. */
  attributes: Map<string, string>
  children: XmlElement[]
  /** Character data directly inside the element, decoded and trimmed. */
  text: string
}

/** `{namespace}local`, the key of `XmlElement.attributes`. */
export function qualified (ns: string | undefined, local: string): string {
  return ns === undefined ? local : `{${ns}}${local}`
}

export function childrenNamed (element: XmlElement, ns: string, local: string): XmlElement[] {
  return element.children.filter((child) => child.ns === ns && child.local === local)
}

export function childNamed (element: XmlElement, ns: string, local: string): XmlElement | undefined {
  return element.children.find((child) => child.ns === ns && child.local === local)
}

// Entities are never expanded by the parser (DTDs are refused before it runs, and the fast-xml-parser
// CVEs of 2026 were all in entity expansion); the five predefined ones and character references are
// decoded here, each to one character.
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  removeNSPrefix: false,
  cdataPropName: '#cdata',
  commentPropName: false,
})

const XML_NS = 'http://www.w3.org/XML/1998/namespace'
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/'

type OrderedNode = Record<string, unknown>
type Scope = Record<string, string | undefined>

/**
 * Parses an untrusted document into a namespace-resolved tree: the guard first (size, depth, no DTD,
 * no processing instruction, short attributes), then a well-formedness check, then the parse.
 * Throws `XmlRefused` for anything it will not read.
 */
export function parseXml (xml: string, limits: XmlGuardLimits): XmlElement {
  guardXml(xml, limits)
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: false })
  if (valid !== true) throw new XmlRefused('malformed', `malformed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`)
  let nodes: OrderedNode[]
  try {
    nodes = parser.parse(xml) as OrderedNode[]
  } catch (error) {
    // The parser refuses some input of its own accord (an element or attribute named `__proto__` or
    // `constructor`): the sender's fault, answered as malformed, never a 500.
    throw new XmlRefused('malformed', `malformed XML: ${String((error as Error).message ?? error).slice(0, 160)}`)
  }
  const roots = nodes.filter((node) => elementName(node) !== undefined)
  const stray = nodes.some((node) => typeof node['#text'] === 'string' && (node['#text'] as string).trim() !== '')
  if (roots.length !== 1 || stray) throw new XmlRefused('malformed', 'malformed XML: a document has exactly one root element')
  const root = roots[0] as OrderedNode
  // Scopes have no prototype, so a prefix named like an Object method resolves to nothing.
  const rootScope: Scope = Object.assign(Object.create(null) as Scope, { xml: XML_NS })
  return buildElement(root, elementName(root) as string, rootScope)
}

function elementName (node: OrderedNode): string | undefined {
  for (const key of Object.keys(node)) {
    if (key !== ':@' && key !== '#text' && key !== '#cdata') return key
  }
  return undefined
}

function buildElement (node: OrderedNode, name: string, parentScope: Scope): XmlElement {
  const rawAttributes = (node[':@'] ?? {}) as Record<string, string>
  const scope: Scope = Object.create(parentScope) as Scope
  for (const [attribute, value] of Object.entries(rawAttributes)) {
    if (attribute === 'xmlns') scope[''] = decode(value) === '' ? undefined : decode(value)
    else if (attribute.startsWith('xmlns:')) scope[attribute.slice(6)] = decode(value)
  }
  const { ns, local } = resolve(name, scope, true)
  const attributes = new Map<string, string>()
  for (const [attribute, value] of Object.entries(rawAttributes)) {
    if (attribute === 'xmlns' || attribute.startsWith('xmlns:')) continue
    // Unprefixed attributes are in no namespace (Namespaces in XML §6.2).
    const resolved = resolve(attribute, scope, false)
    if (resolved.ns === XMLNS_NS) continue
    attributes.set(qualified(resolved.ns, resolved.local), decode(value))
  }
  const children: XmlElement[] = []
  let text = ''
  for (const child of (node[name] ?? []) as OrderedNode[]) {
    if (typeof child['#text'] === 'string') text += decode(child['#text'])
    else if (Array.isArray(child['#cdata'])) text += (child['#cdata'] as OrderedNode[]).map((part) => String(part['#text'] ?? '')).join('')
    else {
      const childName = elementName(child)
      if (childName !== undefined) children.push(buildElement(child, childName, scope))
    }
  }
  return { ns, local, attributes, children, text: text.trim() }
}

function resolve (name: string, scope: Scope, isElement: boolean): { ns: string | undefined, local: string } {
  const colon = name.indexOf(':')
  if (colon === -1) return { ns: isElement ? scope[''] : undefined, local: name }
  const prefix = name.slice(0, colon)
  const ns = scope[prefix]
  if (ns === undefined) throw new XmlRefused('malformed', `malformed XML: the prefix "${prefix}" is not declared`)
  return { ns, local: name.slice(colon + 1) }
}

const PREDEFINED: ReadonlyMap<string, string> = new Map([['lt', '<'], ['gt', '>'], ['amp', '&'], ['quot', '"'], ['apos', "'"]])

/** Decodes predefined entities and character references; any other reference is an undeclared entity. */
function decode (raw: string): string {
  if (!raw.includes('&')) return raw
  // The name is bounded so that a run of stray '&' stays a linear scan.
  return raw.replace(/&([^;&]{1,32});|&/g, (_match, name: string | undefined) => {
    if (name === undefined) throw new XmlRefused('malformed', 'malformed XML: a bare "&" (write &amp;)')
    const predefined = PREDEFINED.get(name)
    if (predefined !== undefined) return predefined
    const code = name.startsWith('#x') ? Number.parseInt(name.slice(2), 16) : name.startsWith('#') ? Number(name.slice(1)) : Number.NaN
    if (/^#(?:x[0-9a-fA-F]+|[0-9]+)$/.test(name) && isXmlChar(code)) return String.fromCodePoint(code)
    throw new XmlRefused('malformed', `malformed XML: the entity &${name.slice(0, 32)}; is not defined`)
  })
}

/** XML 1.0 §2.2 Char. */
function isXmlChar (code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff)
}
