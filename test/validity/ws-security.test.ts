import { randomBytes } from 'node:crypto'
import t from 'tap'
import { checkUsernameToken, type NonceStore, passwordDigest, WSSE_NS, WSU_NS } from '../../src/validity/soap/ws-security.ts'
import { parseXml, type XmlElement } from '../../src/validity/soap/xml-tree.ts'

const USERS = [{ user: 'till', password: 'pa&ss<word' }, { user: 'door', password: 'other' }]
const NOW = Date.parse('2026-11-28T10:00:00Z')
const PROFILE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0'

function memoryNonces (): NonceStore & { seen: Set<string> } {
  const seen = new Set<string>()
  return { seen, remember: async (key) => { if (seen.has(key)) return false; seen.add(key); return true } }
}

function escape (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;')
}

interface TokenOptions { user?: string, password?: string, type?: 'PasswordText' | 'PasswordDigest' | 'Other' | null, nonce?: string | null, created?: string | null, expires?: string }

/** A wsse:Security block as a client sends it, with any prefix choice. */
function security (options: TokenOptions = {}): XmlElement {
  const { user = 'till', password = 'pa&ss<word', type = 'PasswordText', expires } = options
  const nonce = options.nonce === undefined ? randomBytes(16).toString('base64') : options.nonce
  const created = options.created === undefined ? new Date(NOW - 1000).toISOString() : options.created
  const value = type === 'PasswordDigest' ? passwordDigest(nonce ?? '', created ?? '', password) : password
  const typeAttribute = type === null ? '' : ` Type="${PROFILE}#${type}"`
  const xml = `<s:Security xmlns:s="${WSSE_NS}" xmlns:u="${WSU_NS}">` +
    (expires === undefined ? '' : `<u:Timestamp><u:Created>${new Date(NOW - 1000).toISOString()}</u:Created><u:Expires>${expires}</u:Expires></u:Timestamp>`) +
    `<s:UsernameToken><s:Username>${user}</s:Username><s:Password${typeAttribute}>${escape(value)}</s:Password>` +
    (nonce === null ? '' : `<s:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">${nonce}</s:Nonce>`) +
    (created === null ? '' : `<u:Created>${created}</u:Created>`) +
    '</s:UsernameToken></s:Security>'
  return parseXml(xml, { maxBytes: 16384, maxDepth: 16 })
}

const check = async (block: XmlElement | undefined, nonces: NonceStore = memoryNonces(), users = USERS) => await checkUsernameToken(block, { users, nonces, nowMs: NOW })

t.test('PasswordText and PasswordDigest of a configured user are accepted', async (t) => {
  t.same(await check(security()), { ok: true, user: 'till' })
  t.same(await check(security({ type: null, nonce: null, created: null })), { ok: true, user: 'till' }, 'PasswordText is the default Type; nonce and created are optional with it')
  t.same(await check(security({ type: 'PasswordDigest' })), { ok: true, user: 'till' })
  t.same(await check(security({ type: 'PasswordDigest', user: 'door', password: 'other' })), { ok: true, user: 'door' })
})

t.test('wrong, unknown or missing credentials fail without telling which', async (t) => {
  for (const [name, block] of [
    ['wrong password', security({ password: 'nope' })],
    ['wrong digest', security({ type: 'PasswordDigest', password: 'nope' })],
    ['unknown user', security({ user: 'eve' })],
    ["another user's password", security({ user: 'door' })],
  ] as const) {
    t.match(await check(block), { ok: false, code: 'wsse:FailedAuthentication', message: 'the security token could not be authenticated or authorized' }, name)
  }
  t.match(await check(undefined), { ok: false, code: 'wsse:FailedAuthentication', message: /required/ })
  t.match(await check(security(), memoryNonces(), []), { ok: false, code: 'wsse:FailedAuthentication', message: /closed/ }, 'no users configured: closed')
})

t.test('freshness: Created at most 5 minutes old, at most a minute ahead; an expired Timestamp is refused', async (t) => {
  t.match(await check(security({ created: new Date(NOW - 299_000).toISOString() })), { ok: true })
  t.match(await check(security({ type: 'PasswordDigest', created: new Date(NOW - 301_000).toISOString() })), { ok: false, code: 'wsse:MessageExpired' })
  t.match(await check(security({ created: new Date(NOW - 301_000).toISOString() })), { ok: false, code: 'wsse:MessageExpired' }, 'PasswordText with a Created is checked too')
  t.match(await check(security({ created: new Date(NOW + 59_000).toISOString() })), { ok: true }, 'within the skew')
  t.match(await check(security({ type: 'PasswordDigest', created: new Date(NOW + 61_000).toISOString() })), { ok: false, code: 'wsse:MessageExpired', message: /future/ })
  t.match(await check(security({ created: 'yesterday' })), { ok: false, code: 'wsse:InvalidSecurity' })
  t.match(await check(security({ expires: new Date(NOW - 120_000).toISOString() })), { ok: false, code: 'wsse:MessageExpired' })
  t.match(await check(security({ expires: new Date(NOW + 120_000).toISOString() })), { ok: true })
})

t.test('a nonce is accepted once, and only remembered once the password is right', async (t) => {
  const nonces = memoryNonces()
  const nonce = randomBytes(16).toString('base64')
  t.match(await check(security({ type: 'PasswordDigest', nonce, password: 'wrong' }), nonces), { ok: false })
  t.equal(nonces.seen.size, 0, 'a failed attempt burns no nonce')
  t.match(await check(security({ type: 'PasswordDigest', nonce }), nonces), { ok: true })
  t.match(await check(security({ type: 'PasswordDigest', nonce }), nonces), { ok: false, code: 'wsse:FailedAuthentication', message: /already used/ })
  t.match(await check(security({ type: 'PasswordText', nonce }), nonces), { ok: false, message: /already used/ }, 'PasswordText with a nonce too')
  t.match(await check(security({ type: 'PasswordDigest', nonce, user: 'door', password: 'other' }), nonces), { ok: true }, 'nonces are per user')
})

t.test('malformed tokens are InvalidSecurity', async (t) => {
  t.match(await check(security({ type: 'PasswordDigest', nonce: null })), { ok: false, code: 'wsse:InvalidSecurity', message: /Nonce and a wsu:Created/ })
  t.match(await check(security({ type: 'PasswordDigest', created: null })), { ok: false, code: 'wsse:InvalidSecurity' })
  t.match(await check(security({ type: 'Other' })), { ok: false, code: 'wsse:InvalidSecurity' })
  t.match(await check(security({ nonce: 'not base64!' })), { ok: false, code: 'wsse:InvalidSecurity' })
  const empty = parseXml(`<Security xmlns="${WSSE_NS}"/>`, { maxBytes: 1000, maxDepth: 4 })
  t.match(await check(empty), { ok: false, code: 'wsse:InvalidSecurity', message: /one UsernameToken/ })
})

t.test('the digest is the UsernameToken Profile one (same as node-soap computes)', async (t) => {
  const { passwordDigest: soapDigest } = await import('soap')
  const nonce = randomBytes(16).toString('base64')
  t.equal(passwordDigest(nonce, '2026-11-28T10:00:00Z', 'secret'), soapDigest(nonce, '2026-11-28T10:00:00Z', 'secret'))
})
