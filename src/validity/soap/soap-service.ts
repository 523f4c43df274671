import { isWellFormedText } from '../../domain/well-formed-text.ts'
import { REGISTRY_RETRY_AFTER_SECONDS, RegistryUnavailableError } from '../../intake/intake-service.ts'
import { isIdType } from '../card-identifier.ts'
import type { ValidityChecker } from '../check-validity.ts'
import { type ValidityCall, describeOutcome } from '../validity-call.ts'
import { faultResponse, type SoapAnswer, type SoapFault, validityResponse } from './soap-messages.ts'
import { checkUsernameToken, type NonceStore, type SoapUser, WSSE_NS } from './ws-security.ts'
import { SOAP11_ENVELOPE_NS, SOAP12_ENVELOPE_NS, type SoapVersion, VALIDITY_NAMESPACE } from './wsdl-contract.ts'
import type { XmlGuardLimits } from './xml-guard.ts'
import { XmlRefused } from './xml-guard.ts'
import { childNamed, childrenNamed, parseXml, qualified, type XmlElement } from './xml-tree.ts'

export interface ValiditySoapServiceOptions {
  checker: ValidityChecker
  users: readonly SoapUser[]
  nonces: NonceStore
  limits: XmlGuardLimits
  /** @defaultValue Date.now */
  now?: () => number
}

export interface SoapCall extends ValidityCall {
  answer: SoapAnswer
}

/** What a caller's rate limits say, asked by the service once it knows who the caller is (WS-Security). */
export interface SoapCallerGuard {
  /** A refusal once `user` authenticated and is over its limit (429, or 503 when the limiter fails closed). */
  admit (user: string): Promise<{ status: 429 | 503, detail: string, retryAfterSeconds: number } | undefined>
  /** The UsernameToken was refused: counted against the caller's address. */
  failed (): void
}

export interface ValiditySoapService {
  /**
   * Every refusal is a SOAP fault, never with a 500 for a bad body. Only an unexpected error (a bug) is
   * thrown; the route answers it as a Server fault.
   */
  handle (xml: string | Buffer, contentType: string | undefined, guard?: SoapCallerGuard): Promise<SoapCall>
}

/**
 * CheckCardValidity over SOAP 1.1 and 1.2, answered here rather than by node-soap's server: the body
 * is parsed once, by the hardened parser, and faults, status codes and element order are exactly what
 * the WSDL and the SOAP specifications say. node-soap stays the client the tests check it with.
 */
export function createValiditySoapService (options: ValiditySoapServiceOptions): ValiditySoapService {
  const now = options.now ?? Date.now
  const { checker, limits } = options

  async function handle (payload: string | Buffer, contentType: string | undefined, guard?: SoapCallerGuard): Promise<SoapCall> {
    const declared = soapVersionOfContentType(contentType)
    if (declared === undefined) {
      return refused('1.1', 'unsupported-media-type', 415, 'the Content-Type must be text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2)')
    }
    const xml = typeof payload === 'string' ? payload : decodeUtf8(payload)
    // Bytes that are not UTF-8 would read as U+FFFD, and two different identifiers as one.
    if (xml === undefined) return refused(declared, 'refused-xml-malformed', 400, 'the body is not well-formed UTF-8')
    if (!isWellFormedText(xml)) return refused(declared, 'refused-xml-malformed', 400, 'the body is not well-formed Unicode')
    let root: XmlElement
    try {
      root = parseXml(xml, limits)
    } catch (error) {
      if (!(error instanceof XmlRefused)) throw error
      return refused(declared, `refused-xml-${error.reason}`, error.reason === 'too-large' ? 413 : 400, error.message)
    }
    const version = versionOfEnvelope(root)
    if (version === undefined) return refused(declared, 'not-soap', 400, 'the document is not a SOAP 1.1 or 1.2 Envelope')
    const envelopeNs = version === '1.1' ? SOAP11_ENVELOPE_NS : SOAP12_ENVELOPE_NS
    const header = childNamed(root, envelopeNs, 'Header')
    const bodies = childrenNamed(root, envelopeNs, 'Body')
    const body = bodies[0]
    if (body === undefined || bodies.length > 1) return refused(version, 'not-soap', 400, 'a SOAP Envelope has one Body')
    const blocks = header?.children ?? []

    // SOAP 1.1 §4.2.3 / 1.2 part 1 §5.2.3: a mandatory header block we do not process is a fault.
    const notUnderstood = blocks.find((block) => isMandatory(block, envelopeNs) && !(block.ns === WSSE_NS && block.local === 'Security'))
    if (notUnderstood !== undefined) {
      return fault(version, 'must-understand', { side: 'client', code: 'MustUnderstand', message: `header block {${notUnderstood.ns ?? ''}}${notUnderstood.local} is not understood` })
    }
    try {
      return await answer(version, blocks, body, guard)
    } catch (error) {
      if (!(error instanceof RegistryUnavailableError)) throw error
      return {
        ...fault(version, 'registry-unavailable', { side: 'server', message: `the card registry is unavailable; retry in ${REGISTRY_RETRY_AFTER_SECONDS} s` }),
        retryAfterSeconds: REGISTRY_RETRY_AFTER_SECONDS,
      }
    }
  }

  /** Authentication, the operation and the lookup; Redis failures reach the caller as RegistryUnavailableError. */
  async function answer (version: SoapVersion, blocks: XmlElement[], body: XmlElement, guard: SoapCallerGuard | undefined): Promise<SoapCall> {
    const auth = await checkUsernameToken(blocks.find((block) => block.ns === WSSE_NS && block.local === 'Security'), { users: options.users, nonces: options.nonces, nowMs: now() })
    if (!auth.ok) {
      guard?.failed()
      return fault(version, 'unauthorized', { side: 'client', code: auth.code, message: auth.message })
    }
    // Over its limit: a fault in the caller's SOAP version, with the HTTP status (429, or 503) and
    // Retry-After that HTTP-level retry logic and proxies understand.
    const refusal = await guard?.admit(auth.user)
    if (refusal !== undefined) {
      return {
        ...fault(version, refusal.status === 429 ? 'rate-limited' : 'rate-limit-unavailable', { side: refusal.status === 429 ? 'client' : 'server', message: refusal.detail, httpStatus: refusal.status }),
        retryAfterSeconds: refusal.retryAfterSeconds,
      }
    }

    const operation = body.children[0]
    if (operation === undefined || body.children.length > 1 || operation.ns !== VALIDITY_NAMESPACE || operation.local !== 'CheckCardValidity') {
      return invalidRequest(version, 'invalid-request', `the Body must hold one {${VALIDITY_NAMESPACE}}CheckCardValidity element`)
    }
    const cardId = childNamed(operation, VALIDITY_NAMESPACE, 'cardId')?.text
    if (cardId === undefined || cardId === '') return invalidRequest(version, 'invalid-request', 'cardId is required')
    const idType = childNamed(operation, VALIDITY_NAMESPACE, 'idType')?.text
    if (idType !== undefined && !isIdType(idType)) return invalidRequest(version, 'invalid-id-type', 'idType must be csn, idZdc or escn')

    const result = await checker.check(cardId, idType)
    const call = describeOutcome(result)
    switch (result.outcome) {
      case 'answer':
        return { ...call, answer: validityResponse(version, result.validity) }
      case 'unknown-card':
        return { ...call, answer: faultResponse(version, { side: 'client', message: `no card ${result.cardId}`, detail: { element: 'UnknownCard', fields: [['cardId', result.cardId]] } }) }
      case 'invalid-card-id':
        return { ...call, answer: invalidFault(version, 'invalid-card-id', result.detail) }
      case 'ambiguous-card-id':
        return { ...call, answer: invalidFault(version, 'ambiguous-card-id', `${result.cardId} is both a known CSN and a known idZdc: give idType`) }
      case 'router-unavailable':
        return {
          ...call,
          answer: faultResponse(version, {
            side: 'server',
            message: `the ESC Router cannot answer about this card now: ${result.detail}`,
            detail: { element: 'RouterUnavailable', fields: [['cardId', result.cardId], ['retryAfterSeconds', result.retryAfterSeconds], ['message', result.detail]] },
          }),
        }
    }
  }

  function refused (version: SoapVersion, outcome: string, httpStatus: number, message: string): SoapCall {
    return fault(version, outcome, { side: 'client', message, httpStatus })
  }

  function invalidRequest (version: SoapVersion, code: string, message: string): SoapCall {
    return { outcome: code, answer: invalidFault(version, code, message) }
  }

  return { handle }
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function decodeUtf8 (bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes)
  } catch {
    return undefined
  }
}

function fault (version: SoapVersion, outcome: string, soapFault: SoapFault): SoapCall {
  return { outcome, answer: faultResponse(version, soapFault) }
}

function invalidFault (version: SoapVersion, code: string, message: string): SoapAnswer {
  return faultResponse(version, { side: 'client', message, detail: { element: 'InvalidRequest', fields: [['code', code], ['message', message]] } })
}

/** The SOAP version a media type declares: `text/xml` 1.1, `application/soap+xml` 1.2, else none. */
export function soapVersionOfContentType (contentType: string | undefined): SoapVersion | undefined {
  const mediaType = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase()
  if (mediaType === 'text/xml') return '1.1'
  if (mediaType === 'application/soap+xml') return '1.2'
  return undefined
}

/** The envelope's namespace decides the version of the answer (SOAP 1.2 part 2 §7.1.4 allows no other). */
function versionOfEnvelope (root: XmlElement): SoapVersion | undefined {
  if (root.local !== 'Envelope') return undefined
  if (root.ns === SOAP11_ENVELOPE_NS) return '1.1'
  if (root.ns === SOAP12_ENVELOPE_NS) return '1.2'
  return undefined
}

function isMandatory (block: XmlElement, envelopeNs: string): boolean {
  const value = block.attributes.get(qualified(envelopeNs, 'mustUnderstand'))
  return value === '1' || value === 'true'
}
