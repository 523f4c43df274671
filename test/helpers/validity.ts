import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import type { Test } from 'tap'
import { passwordDigest, WSSE_NS, WSU_NS } from '../../src/validity/soap/ws-security.ts'
import { VALIDITY_NAMESPACE } from '../../src/validity/soap/wsdl-contract.ts'
import { startTestGateway, type TestGateway } from './gateway.ts'

export const CROUS_API_KEY = 'test-crous-api-key-0123456789'
export const SOAP_USER = { user: 'crous-caen', password: 'soap-pass&<0123456789' }

/** The Izly endpoint of gateways that run no workers: never called. */
const UNUSED_IZLY = 'http://127.0.0.1:9/izly'

export interface ValidityGateway extends TestGateway {
  /** GET a validity path with the test API key (or the given header value; null sends none). */
  rest (path: string, apiKey?: string | null): Promise<{ status: number, headers: Record<string, unknown>, body: any }>
  /** POST a SOAP body; `text/xml` by default. */
  soap (body: string, contentType?: string): Promise<{ status: number, headers: Record<string, unknown>, body: string }>
}

/**
 * A gateway serving the validity interfaces, with the test credentials and, when given, a router stand-in.
 * `role: 'api'` (the default) runs no worker at all: what it answers comes from intake alone.
 */
export async function startValidityGateway (t: Test, options: { routerUrl?: string, role?: 'api' | 'all', izlyEndpoint?: string, extra?: Record<string, string>, logger?: Logger, prefix?: string, cleanup?: boolean } = {}): Promise<ValidityGateway> {
  const gateway = await startTestGateway(t, {
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
    ...(options.cleanup !== undefined ? { cleanup: options.cleanup } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    izlyEndpoint: options.izlyEndpoint ?? UNUSED_IZLY,
    role: options.role ?? 'api',
    extra: {
      CROUS_API_KEYS: CROUS_API_KEY,
      CROUS_SOAP_USERS: `${SOAP_USER.user}:${SOAP_USER.password}`,
      ROUTER_STATUS_TIMEOUT_MS: '300',
      ...(options.routerUrl !== undefined ? { ESC_ROUTER_STATUS_URL: options.routerUrl } : {}),
      ...options.extra,
    },
  })
  return Object.assign(gateway, {
    async rest (path: string, apiKey: string | null = CROUS_API_KEY) {
      const response = await gateway.app.inject({ method: 'GET', url: path, headers: apiKey === null ? {} : { 'x-api-key': apiKey } })
      return { status: response.statusCode, headers: response.headers, body: response.body === '' ? undefined : response.json() }
    },
    async soap (body: string, contentType = 'text/xml; charset=utf-8') {
      const response = await gateway.app.inject({ method: 'POST', url: '/crous/v1/soap', payload: body, headers: { 'content-type': contentType } })
      return { status: response.statusCode, headers: response.headers, body: response.body }
    },
  })
}

export interface EnvelopeOptions {
  version?: '1.1' | '1.2'
  idType?: string
  /** PasswordText by default; null sends no Security header. */
  auth?: 'PasswordText' | 'PasswordDigest' | null
  user?: string
  password?: string
  nonce?: string
  created?: string
  /** Extra header blocks, as XML. */
  headers?: string
}

/** A CheckCardValidity request as a SOAP stack sends it, with a WS-Security UsernameToken. */
export function checkEnvelope (cardId: string, options: EnvelopeOptions = {}): string {
  const envNs = options.version === '1.2' ? 'http://www.w3.org/2003/05/soap-envelope' : 'http://schemas.xmlsoap.org/soap/envelope/'
  const user = options.user ?? SOAP_USER.user
  const password = options.password ?? SOAP_USER.password
  const nonce = options.nonce ?? randomBytes(16).toString('base64')
  const created = options.created ?? new Date().toISOString()
  const auth = options.auth === undefined ? 'PasswordText' : options.auth
  const value = auth === 'PasswordDigest' ? passwordDigest(nonce, created, password) : password
  const security = auth === null
    ? ''
    : `<wsse:Security xmlns:wsse="${WSSE_NS}" xmlns:wsu="${WSU_NS}" e:mustUnderstand="1"><wsse:UsernameToken><wsse:Username>${user}</wsse:Username>` +
      `<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#${auth}">${xmlText(value)}</wsse:Password>` +
      `<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">${nonce}</wsse:Nonce>` +
      `<wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`
  const idType = options.idType === undefined ? '' : `<v:idType>${options.idType}</v:idType>`
  return `<?xml version="1.0" encoding="UTF-8"?><e:Envelope xmlns:e="${envNs}" xmlns:v="${VALIDITY_NAMESPACE}"><e:Header>${security}${options.headers ?? ''}</e:Header>` +
    `<e:Body><v:CheckCardValidity><v:cardId>${xmlText(cardId)}</v:cardId>${idType}</v:CheckCardValidity></e:Body></e:Envelope>`
}

function xmlText (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
