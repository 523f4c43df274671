import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** wsdl/crous-card-validity.wsdl on disk: served as is, but for its addresses. */
export const VALIDITY_WSDL_PATH = fileURLToPath(new URL('../../../wsdl/crous-card-validity.wsdl', import.meta.url))

export const VALIDITY_NAMESPACE = 'urn:leocarte:crous-card-validity:v1'
export const VALIDITY_SOAP_PATH = '/crous/v1/soap'

export const SOAP11_ENVELOPE_NS = 'http://schemas.xmlsoap.org/soap/envelope/'
export const SOAP12_ENVELOPE_NS = 'http://www.w3.org/2003/05/soap-envelope'
export type SoapVersion = '1.1' | '1.2'

/**
 * The WSDL with every soap:address / soap12:address pointing at `endpoint`, so a client generated from
 * what this gateway serves calls this gateway. Read once; the substitution is a string replace.
 */
export function createWsdlServer (wsdlXml: string = readFileSync(VALIDITY_WSDL_PATH, 'utf8')): (endpoint: string) => string {
  const parts = wsdlXml.split(/(<soap(?:12)?:address\s+location=")[^"]*(")/)
  return (endpoint) => {
    const escaped = escapeXml(endpoint)
    // split() with two capture groups yields [text, open, close, text, open, close, ..., text].
    return parts.map((part, index) => index % 3 === 1 ? part + escaped : part).join('')
  }
}

export function escapeXml (text: string): string {
  return text.replace(/[<>&"']/g, (char) => XML_ESCAPES.get(char) ?? char)
}

const XML_ESCAPES: ReadonlyMap<string, string> = new Map([['<', '&lt;'], ['>', '&gt;'], ['&', '&amp;'], ['"', '&quot;'], ["'", '&apos;']])
