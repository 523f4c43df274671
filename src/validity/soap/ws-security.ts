import { createHash } from 'node:crypto'
import { matchesSecret } from '../../app/secret-match.ts'
import { childNamed, childrenNamed, qualified, type XmlElement } from './xml-tree.ts'

/** WS-Security 1.0 (OASIS 200401) namespaces and UsernameToken Profile 1.0 password types. */
export const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd'
export const WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd'
const TOKEN_PROFILE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0'
const PASSWORD_TEXT = `${TOKEN_PROFILE}#PasswordText`
const PASSWORD_DIGEST = `${TOKEN_PROFILE}#PasswordDigest`
const BASE64_BINARY = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary'

/** Remembers nonces for the freshness window, across every process that answers (a replay may reach another). */
export interface NonceStore {
  /** True the first time `key` is seen within `ttlMs`, false for a replay. */
  remember (key: string, ttlMs: number): Promise<boolean>
}

export interface SoapUser {
  user: string
  password: string
}

export interface UsernameTokenOptions {
  users: readonly SoapUser[]
  nonces: NonceStore
  nowMs: number
  /** Oldest accepted wsu:Created. @defaultValue 300000 (5 minutes) */
  maxAgeMs?: number
  /** How far ahead of our clock a wsu:Created may be. @defaultValue 60000 */
  clockSkewMs?: number
}

export type UsernameTokenCheck =
  | { ok: true, user: string }
  | { ok: false, code: 'wsse:FailedAuthentication' | 'wsse:MessageExpired' | 'wsse:InvalidSecurity', message: string }

const FAILED = 'the security token could not be authenticated or authorized'

/**
 * Checks the UsernameToken of a wsse:Security header block: PasswordText, or PasswordDigest
 * (Base64(SHA-1(nonce + created + password)), UsernameToken Profile 1.0 §3.1). A wsu:Created must be
 * at most `maxAgeMs` old and at most `clockSkewMs` ahead, and a nonce is accepted once (remembered for
 * that whole window). Which of user or password was wrong is not told.
 */
export async function checkUsernameToken (security: XmlElement | undefined, options: UsernameTokenOptions): Promise<UsernameTokenCheck> {
  const { users, nowMs } = options
  const maxAgeMs = options.maxAgeMs ?? 300_000
  const clockSkewMs = options.clockSkewMs ?? 60_000
  if (users.length === 0) return { ok: false, code: 'wsse:FailedAuthentication', message: 'the SOAP interface is closed: no CROUS_SOAP_USERS are configured' }
  if (security === undefined) return { ok: false, code: 'wsse:FailedAuthentication', message: 'a WS-Security header with a UsernameToken is required' }

  const timestamp = childNamed(security, WSU_NS, 'Timestamp')
  const expires = timestamp === undefined ? undefined : childNamed(timestamp, WSU_NS, 'Expires')?.text
  if (expires !== undefined) {
    const expiresMs = Date.parse(expires)
    if (Number.isNaN(expiresMs)) return { ok: false, code: 'wsse:InvalidSecurity', message: 'wsu:Expires is not a date-time' }
    if (expiresMs + clockSkewMs < nowMs) return { ok: false, code: 'wsse:MessageExpired', message: 'the message has expired (wsu:Timestamp)' }
  }

  const tokens = childrenNamed(security, WSSE_NS, 'UsernameToken')
  const token = tokens[0]
  if (token === undefined || tokens.length > 1) return { ok: false, code: 'wsse:InvalidSecurity', message: 'the WS-Security header must hold one UsernameToken' }
  const username = childNamed(token, WSSE_NS, 'Username')?.text
  const password = childNamed(token, WSSE_NS, 'Password')
  if (username === undefined || password === undefined) return { ok: false, code: 'wsse:InvalidSecurity', message: 'the UsernameToken needs a Username and a Password' }
  const type = password.attributes.get(qualified(undefined, 'Type')) ?? PASSWORD_TEXT
  if (type !== PASSWORD_TEXT && type !== PASSWORD_DIGEST) return { ok: false, code: 'wsse:InvalidSecurity', message: 'the Password Type must be PasswordText or PasswordDigest' }

  const nonceElement = childNamed(token, WSSE_NS, 'Nonce')
  const nonce = nonceElement?.text
  if (nonceElement !== undefined && (nonceElement.attributes.get('EncodingType') ?? BASE64_BINARY) !== BASE64_BINARY) {
    return { ok: false, code: 'wsse:InvalidSecurity', message: 'the Nonce must be Base64Binary' }
  }
  if (nonce !== undefined && !/^[A-Za-z0-9+/]{4,128}={0,2}$/.test(nonce)) return { ok: false, code: 'wsse:InvalidSecurity', message: 'the Nonce is not base64' }
  const created = childNamed(token, WSU_NS, 'Created')?.text
  if (type === PASSWORD_DIGEST && (nonce === undefined || created === undefined)) {
    return { ok: false, code: 'wsse:InvalidSecurity', message: 'a PasswordDigest needs a Nonce and a wsu:Created' }
  }
  if (created !== undefined) {
    const createdMs = Date.parse(created)
    if (Number.isNaN(createdMs) || !/^\d{4}-\d{2}-\d{2}T/.test(created)) return { ok: false, code: 'wsse:InvalidSecurity', message: 'wsu:Created is not a date-time' }
    if (createdMs < nowMs - maxAgeMs) return { ok: false, code: 'wsse:MessageExpired', message: `the UsernameToken was created more than ${maxAgeMs / 1000} s ago` }
    if (createdMs > nowMs + clockSkewMs) return { ok: false, code: 'wsse:MessageExpired', message: 'the UsernameToken was created in the future: check the client clock' }
  }

  // An unknown user still costs one comparison, so timing does not tell user names apart.
  const account = users.find(({ user }) => user === username)
  const secret = account?.password ?? ''
  const expected = type === PASSWORD_DIGEST ? passwordDigest(nonce as string, created as string, secret) : secret
  if (!matchesSecret([expected], password.text) || account === undefined) return { ok: false, code: 'wsse:FailedAuthentication', message: FAILED }

  // Only after the password is right, so nobody else can use up a client's nonces. Keyed on the nonce's
  // bytes, as the digest is: base64 has many spellings of one value (padding left out, insignificant
  // low bits of the last character), and each would otherwise pass for a fresh nonce.
  if (nonce !== undefined) {
    const key = createHash('sha256').update(`${username}\n`).update(Buffer.from(nonce, 'base64')).digest('base64url')
    if (!await options.nonces.remember(key, maxAgeMs + clockSkewMs)) {
      return { ok: false, code: 'wsse:FailedAuthentication', message: 'this nonce was already used (replayed message)' }
    }
  }
  return { ok: true, user: username }
}

/** Base64(SHA-1(decoded nonce + created + password)), UsernameToken Profile 1.0 §3.1. */
export function passwordDigest (nonceBase64: string, created: string, password: string): string {
  return createHash('sha1').update(Buffer.concat([Buffer.from(nonceBase64, 'base64'), Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')])).digest('base64')
}
