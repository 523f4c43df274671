import type { CardValidity } from '../check-validity.ts'
import { WSSE_NS } from './ws-security.ts'
import { escapeXml, SOAP11_ENVELOPE_NS, SOAP12_ENVELOPE_NS, type SoapVersion, VALIDITY_NAMESPACE } from './wsdl-contract.ts'

/** A fault to answer; how it is written depends on the request's SOAP version. */
export interface SoapFault {
  /** Whose fault: the sender's (SOAP 1.1 Client, 1.2 Sender) or ours (Server, Receiver). */
  side: 'client' | 'server'
  /** A standard code other than Client/Server (SOAP 1.1 faultcode, SOAP 1.2 Subcode), e.g. wsse:FailedAuthentication. */
  code?: 'wsse:FailedAuthentication' | 'wsse:MessageExpired' | 'wsse:InvalidSecurity' | 'MustUnderstand'
  message: string
  /** One of the WSDL's fault elements, with its fields in schema order. */
  detail?: { element: 'UnknownCard' | 'InvalidRequest' | 'RouterUnavailable', fields: Array<[string, string | number]> }
  /** Set for bodies that are not a SOAP message at all (too large, malformed, hostile): 400, 413 or 415. */
  httpStatus?: number
}

export interface SoapAnswer {
  status: number
  contentType: string
  body: string
}

const CONTENT_TYPES: Readonly<Record<SoapVersion, string>> = {
  '1.1': 'text/xml; charset=utf-8',
  '1.2': 'application/soap+xml; charset=utf-8',
}

function envelope (version: SoapVersion, body: string): string {
  const ns = version === '1.1' ? SOAP11_ENVELOPE_NS : SOAP12_ENVELOPE_NS
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${ns}"><soap:Body>${body}</soap:Body></soap:Envelope>`
}

/** Children in the order of the CardValidity sequence; optional ones only when known. */
export function validityResponse (version: SoapVersion, validity: CardValidity): SoapAnswer {
  const fields: Array<[string, string | undefined]> = [
    ['cardId', validity.cardId],
    ['idType', validity.idType],
    ['valid', String(validity.valid)],
    ['state', validity.state],
    ['reason', validity.reason],
    ['since', validity.since],
    ['expiresAt', validity.expiresAt],
    ['source', validity.source],
  ]
  let inner = fields.map(([name, value]) => value === undefined ? '' : element(name, value)).join('')
  if (validity.issuer !== undefined) {
    const { identifier, name } = validity.issuer
    inner += `<issuer>${element('identifier', identifier)}${name === undefined ? '' : element('name', name)}</issuer>`
  }
  // The default namespace qualifies every child (elementFormDefault="qualified").
  const body = `<CheckCardValidityResponse xmlns="${VALIDITY_NAMESPACE}"><validity>${inner}</validity></CheckCardValidityResponse>`
  return { status: 200, contentType: CONTENT_TYPES[version], body: envelope(version, body) }
}

/**
 * A fault as SOAP 1.1 (faultcode/faultstring/detail, HTTP 500 as WS-I Basic Profile R1126 requires) or
 * SOAP 1.2 (Code/Subcode/Reason/Detail, HTTP 400 for the sender's faults, 500 for ours, part 2 §7.5.2.2).
 */
export function faultResponse (version: SoapVersion, fault: SoapFault): SoapAnswer {
  const detail = fault.detail === undefined
    ? ''
    : `<${fault.detail.element} xmlns="${VALIDITY_NAMESPACE}">${fault.detail.fields.map(([name, value]) => element(name, String(value))).join('')}</${fault.detail.element}>`
  const wsse = fault.code?.startsWith('wsse:') === true ? ` xmlns:wsse="${WSSE_NS}"` : ''
  let body: string
  let status: number
  if (version === '1.1') {
    const code = fault.code === undefined ? (fault.side === 'client' ? 'soap:Client' : 'soap:Server') : fault.code === 'MustUnderstand' ? 'soap:MustUnderstand' : fault.code
    body = `<soap:Fault><faultcode${wsse}>${code}</faultcode><faultstring>${escapeXml(fault.message)}</faultstring>${detail === '' ? '' : `<detail>${detail}</detail>`}</soap:Fault>`
    status = fault.httpStatus ?? 500
  } else {
    const value = fault.code === 'MustUnderstand' ? 'soap:MustUnderstand' : fault.side === 'client' ? 'soap:Sender' : 'soap:Receiver'
    const subcode = fault.code === undefined || fault.code === 'MustUnderstand' ? '' : `<soap:Subcode><soap:Value${wsse}>${fault.code}</soap:Value></soap:Subcode>`
    body = `<soap:Fault><soap:Code><soap:Value>${value}</soap:Value>${subcode}</soap:Code><soap:Reason><soap:Text xml:lang="en">${escapeXml(fault.message)}</soap:Text></soap:Reason>${detail === '' ? '' : `<soap:Detail>${detail}</soap:Detail>`}</soap:Fault>`
    status = fault.httpStatus ?? (fault.side === 'client' && fault.code !== 'MustUnderstand' ? 400 : 500)
  }
  return { status, contentType: CONTENT_TYPES[version], body: envelope(version, body) }
}

function element (name: string, value: string): string {
  return `<${name}>${escapeXml(value)}</${name}>`
}
