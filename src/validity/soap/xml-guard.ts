/** Limits of the pre-check run on every SOAP request before any parser sees it. */
export interface XmlGuardLimits {
  /** Largest body, in bytes (UTF-8). */
  maxBytes: number
  /** Deepest element nesting. */
  maxDepth: number
  /** Longest attribute value, in characters. @defaultValue 1024 (namespace URIs and token types are far shorter) */
  maxAttributeLength?: number
}

/** Why a body was refused; `reason` is a stable code, `detail` a sentence for the fault string. */
export class XmlRefused extends Error {
  readonly reason: 'too-large' | 'dtd' | 'processing-instruction' | 'too-deep' | 'attribute-too-long' | 'malformed'
  constructor (reason: XmlRefused['reason'], detail: string) {
    super(detail)
    this.name = 'XmlRefused'
    this.reason = reason
  }
}

/**
 * One linear scan that refuses what a SOAP message never carries and what XML attacks need: a DOCTYPE
 * (hence every entity declaration: billion laughs, quadratic blow-up, external entities), processing
 * instructions (SOAP 1.1 §3 and SOAP 1.2 part 1 §5 forbid both), nesting beyond `maxDepth`, huge
 * attribute values, and bodies over `maxBytes`. It does not check well-formedness: the parser does,
 * once this scan has bounded what it will be given.
 */
export function guardXml (xml: string, limits: XmlGuardLimits): void {
  const maxAttributeLength = limits.maxAttributeLength ?? 1024
  // Cheap bound first: every UTF-16 unit is at least one UTF-8 byte, so a string longer than the limit
  // in units is over it in bytes without counting them.
  if (xml.length > limits.maxBytes || Buffer.byteLength(xml, 'utf8') > limits.maxBytes) {
    throw new XmlRefused('too-large', `the request is over ${limits.maxBytes} bytes`)
  }
  let depth = 0
  let at = xml.indexOf('<')
  while (at !== -1) {
    const next = xml.charCodeAt(at + 1)
    if (next === 0x3f /* ? */) {
      // Only the XML declaration, and only as the very first thing (after an optional BOM).
      const start = xml.charCodeAt(0) === 0xfeff ? 1 : 0
      if (at !== start || !/^<\?xml[\s?]/.test(xml.slice(at, at + 6))) {
        throw new XmlRefused('processing-instruction', 'processing instructions are not allowed in a SOAP message')
      }
      at = skipPast(xml, at, '?>')
    } else if (next === 0x21 /* ! */) {
      if (xml.startsWith('<!--', at)) at = skipPast(xml, at, '-->')
      else if (xml.startsWith('<![CDATA[', at)) at = skipPast(xml, at, ']]>')
      else throw new XmlRefused('dtd', 'a DOCTYPE or entity declaration is not allowed in a SOAP message')
    } else if (next === 0x2f /* / */) {
      depth--
      at = skipPast(xml, at, '>')
    } else {
      const end = scanStartTag(xml, at, maxAttributeLength)
      if (xml.charCodeAt(end - 1) !== 0x2f /* / */) {
        depth++
        if (depth > limits.maxDepth) throw new XmlRefused('too-deep', `elements nest deeper than ${limits.maxDepth} levels`)
      }
      at = end + 1
    }
    at = xml.indexOf('<', at)
  }
}

function skipPast (xml: string, from: number, marker: string): number {
  const found = xml.indexOf(marker, from)
  if (found === -1) throw new XmlRefused('malformed', 'the XML ends inside a markup construct')
  return found + marker.length
}

/** The index of the `>` closing the start tag at `from`, checking attribute value lengths on the way. */
function scanStartTag (xml: string, from: number, maxAttributeLength: number): number {
  let index = from + 1
  for (;;) {
    const code = xml.charCodeAt(index)
    if (Number.isNaN(code)) throw new XmlRefused('malformed', 'the XML ends inside a start tag')
    if (code === 0x3e /* > */) return index
    if (code === 0x22 /* " */ || code === 0x27 /* ' */) {
      const close = xml.indexOf(code === 0x22 ? '"' : "'", index + 1)
      if (close === -1) throw new XmlRefused('malformed', 'the XML ends inside an attribute value')
      if (close - index - 1 > maxAttributeLength) {
        throw new XmlRefused('attribute-too-long', `an attribute value is longer than ${maxAttributeLength} characters`)
      }
      index = close
    } else if (code === 0x3c /* < */) {
      throw new XmlRefused('malformed', 'a start tag is not closed')
    }
    index++
  }
}
