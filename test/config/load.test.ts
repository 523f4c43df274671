import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config/load.ts'

const SECRET = 'a-long-enough-sgc-secret'
const KEY = 'a-pseudonym-key-of-at-least-32-characters'

t.test('no configuration at all is the demo: simulators on, generated secrets', async (t) => {
  const config = loadConfig({})
  t.equal(config.simulators, true)
  t.equal(config.port, 3000)
  t.equal(config.host, '127.0.0.1')
  t.equal(config.redisUrl, 'redis://127.0.0.1:6379')
  t.equal(config.redisUrlGiven, false)
  t.equal(config.role, 'all')
  t.equal(config.sgcSecretGenerated, true)
  t.equal(config.sgcSecrets.length, 1)
  t.equal(config.adminTokenGenerated, true)
  t.ok(Object.isFrozen(config) && Object.isFrozen(config.queue), 'frozen')
  t.equal(config.pseudonymKeyGenerated, true, 'the bare demo generates its pseudonym key')
  t.ok(config.pseudonymKey.length >= 32)
  t.same(config.http, { requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 72_000 }, 'slow clients are cut by default')
})

t.test('a real Izly endpoint turns the simulators off and requires an SGC secret', async (t) => {
  t.throws(() => loadConfig({ IZLY_SOAP_URL: 'https://izly.example/soap' }), new ConfigError('SGC_HMAC_SECRETS', 'required: comma-separated secrets the SGC signs events with'))
  const config = loadConfig({ IZLY_SOAP_URL: 'https://izly.example/soap', SGC_HMAC_SECRETS: `${SECRET}, second-secret-for-rotation`, PSEUDONYM_KEY: KEY })
  t.equal(config.simulators, false)
  t.same(config.sgcSecrets, [SECRET, 'second-secret-for-rotation'])
  t.same(config.adminTokens, [], 'no admin tokens: the admin API is closed')
  const worker = loadConfig({ IZLY_SOAP_URL: 'https://izly.example/soap', GATEWAY_ROLE: 'worker', PSEUDONYM_KEY: KEY })
  t.same(worker.sgcSecrets, [], 'a worker-only process takes no SGC events, so needs no secret')
})

t.test('simulators switch on by themselves only for the bare demo, never beside a configured Redis or downstream', async (t) => {
  const refused: Array<Record<string, string>> = [
    { REDIS_URL: 'redis://redis.example:6379' },
    { REDIS_URL: 'redis://redis.example:6379', GATEWAY_ROLE: 'worker' },
    { REDIS_SENTINELS: 'sentinel-a:26379,sentinel-b:26379', REDIS_SENTINEL_NAME: 'leocarte' },
    { ESC_ROUTER_URL: 'https://sandbox.europeanstudentcard.eu/esc-rest', ESC_ROUTER_TOKEN: 'token', ESC_PIC: '999859608', SGC_HMAC_SECRETS: SECRET },
  ]
  for (const env of refused) {
    let caught: unknown
    try { loadConfig(env) } catch (error) { caught = error }
    t.ok(caught instanceof ConfigError, `${JSON.stringify(env)}: refused rather than pointed at a simulator`)
    t.equal((caught as ConfigError).variable, 'IZLY_SOAP_URL, IZLY_API_URL', 'naming the missing Izly endpoint, either transport')
    t.match((caught as ConfigError).message, /IZLY_API_URL.*IZLY_SOAP_URL.*SIMULATORS=on/, 'and the way to the simulators')
  }
  const rest = loadConfig({ IZLY_API_URL: 'https://api-pp.nuonet.fr', IZLY_CLIENT_ID: 'univ', IZLY_CLIENT_SECRET: 'secret', SGC_HMAC_SECRETS: SECRET, PSEUDONYM_KEY: KEY })
  t.equal(rest.simulators, false, 'IZLY_API_URL is an Izly endpoint too')
  t.equal(rest.izly.apiUrl, 'https://api-pp.nuonet.fr')
  t.equal(loadConfig({ REDIS_PREFIX: 'demo2' }).simulators, true, 'a prefix alone is still the bare demo')
})

t.test('credentials are generated only for the bare demo, not when simulators are asked for beside a configuration', async (t) => {
  t.throws(() => loadConfig({ SIMULATORS: 'on', REDIS_URL: 'redis://127.0.0.1:6379' }), /^SGC_HMAC_SECRETS: required/)
  const asked = loadConfig({ SIMULATORS: 'on', REDIS_URL: 'redis://127.0.0.1:6379', SGC_HMAC_SECRETS: SECRET })
  t.equal(asked.simulators, true)
  t.same([asked.sgcSecretGenerated, asked.adminTokenGenerated, asked.crousApiKeyGenerated, asked.crousSoapUserGenerated], [false, false, false, false])
  t.same([asked.adminTokens, asked.crousApiKeys, asked.crousSoapUsers], [[], [], []], 'no admin token, no CROUS key or SOAP user: those interfaces stay closed')
  const bare = loadConfig({ SIMULATORS: 'on' })
  t.same([bare.sgcSecretGenerated, bare.adminTokenGenerated, bare.crousApiKeyGenerated, bare.crousSoapUserGenerated], [true, true, true, true])
})

t.test('every bad value names its variable', async (t) => {
  const bad: Array<[Record<string, string>, string]> = [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ GATEWAY_ROLE: 'both' }, 'GATEWAY_ROLE'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL'],
    [{ SIMULATORS: 'maybe' }, 'SIMULATORS'],
    [{ SIMULATORS: 'off' }, 'IZLY_SOAP_URL, IZLY_API_URL'],
    [{ IZLY_SOAP_URL: 'not a url' }, 'IZLY_SOAP_URL'],
    [{ IZLY_USERNAME: 'u' }, 'IZLY_PASSWORD'],
    [{ IZLY_SOAP_URL: 'http://izly.example/soap', IZLY_USERNAME: 'u', IZLY_PASSWORD: 'p', SGC_HMAC_SECRETS: SECRET }, 'IZLY_SOAP_URL'],
    [{ ESC_PIC: '12345' }, 'ESC_PIC'],
    [{ ESC_ON_DISABLE: 'remove' }, 'ESC_ON_DISABLE'],
    [{ ESC_CARD_TYPE: 'PLASTIC' }, 'ESC_CARD_TYPE'],
    [{ ESC_TIMEOUT_MS: 'ten' }, 'ESC_TIMEOUT_MS'],
    [{ ESC_TIMEOUT_MS: '60000' }, 'JOB_LOCK_MS'],
    [{ ESC_ROUTER_URL: 'router.example/esc-rest' }, 'ESC_ROUTER_URL'],
    [{ SIMULATORS: 'on', ESC_ROUTER_URL: 'https://sandbox.europeanstudentcard.eu/esc-rest', ESC_PIC: '999859608' }, 'ESC_ROUTER_TOKEN'],
    [{ SIMULATORS: 'on', ESC_ROUTER_URL: 'https://sandbox.europeanstudentcard.eu/esc-rest', ESC_ROUTER_TOKEN: 'token' }, 'ESC_PIC'],
    [{ ESC_ROUTER_TOKEN: 'two words' }, 'ESC_ROUTER_TOKEN'],
    [{ SGC_HMAC_SECRETS: 'short' }, 'SGC_HMAC_SECRETS'],
    [{ CROUS_SOAP_USERS: 'nopassword' }, 'CROUS_SOAP_USERS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ RETRY_BASE_MS: '5000', RETRY_MAX_MS: '1000' }, 'RETRY_MAX_MS'],
    [{ IZLY_TIMEOUT_MS: '60000', JOB_LOCK_MS: '30000' }, 'JOB_LOCK_MS'],
    [{ REDIS_PREFIX: 'a:b' }, 'REDIS_PREFIX'],
    [{ IZLY_SOAP_URL: 'https://izly.example/soap', SGC_HMAC_SECRETS: SECRET }, 'PSEUDONYM_KEY'],
    [{ PSEUDONYM_KEY: 'too-short' }, 'PSEUDONYM_KEY'],
    [{ REQUEST_TIMEOUT_MS: 'soon' }, 'REQUEST_TIMEOUT_MS'],
    [{ REQUEST_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '10000' }, 'HEADERS_TIMEOUT_MS'],
    [{ PUBLIC_HOSTS: 'gw.univ.fr/path' }, 'PUBLIC_HOSTS'],
    [{ REDIS_REQUEST_TIMEOUT_MS: 'soon' }, 'REDIS_REQUEST_TIMEOUT_MS'],
    [{ BREAKER_FAILURES: '-1' }, 'BREAKER_FAILURES'],
    [{ BREAKER_OPEN_MS: '10' }, 'BREAKER_OPEN_MS'],
    [{ DOUBTFUL_FAULT_MAX_MS: 'forever' }, 'DOUBTFUL_FAULT_MAX_MS'],
    [{ OCCURRED_AT_MAX_AHEAD_SECONDS: '999999' }, 'OCCURRED_AT_MAX_AHEAD_SECONDS'],
    [{ IZLY_API_URL: 'ftp://api.lescrous.fr' }, 'IZLY_API_URL'],
  ]
  for (const [env, variable] of bad) {
    let caught: unknown
    try { loadConfig(env) } catch (error) { caught = error }
    t.ok(caught instanceof ConfigError, `${JSON.stringify(env)} is refused`)
    t.equal((caught as ConfigError).variable, variable)
    t.match((caught as Error).message, new RegExp(`^${variable}: `), 'one line starting with the variable')
  }
})

t.test('secrets may come from files (<NAME>_FILE)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'leocarte-config-'))
  writeFileSync(join(dir, 'secret'), `${SECRET}\n`)
  const config = loadConfig({ SGC_HMAC_SECRETS_FILE: join(dir, 'secret'), IZLY_SOAP_URL: 'https://izly.example/soap', CROUS_SOAP_USERS: 'till:pw1,door:pw2', PSEUDONYM_KEY: KEY })
  t.same(config.sgcSecrets, [SECRET])
  t.same(config.crousSoapUsers, [{ user: 'till', password: 'pw1' }, { user: 'door', password: 'pw2' }])
  t.throws(() => loadConfig({ SGC_HMAC_SECRETS_FILE: join(dir, 'missing') }), /^SGC_HMAC_SECRETS_FILE: cannot read/)
})

t.test('ESC Router settings: defaults, and URL, token and PIC together', async (t) => {
  const demo = loadConfig({})
  t.same(demo.esc, { url: undefined, token: undefined, pic: undefined, onDisable: 'inactive', cardType: 'SMART_NO_CDZ', timeoutMs: 10_000 }, 'unset: the demo points ESC at its simulator')
  const real = loadConfig({
    IZLY_SOAP_URL: 'https://izly.example/soap',
    SGC_HMAC_SECRETS: SECRET,
    PSEUDONYM_KEY: KEY,
    ESC_ROUTER_URL: 'https://sandbox.europeanstudentcard.eu/esc-rest',
    ESC_ROUTER_TOKEN: 'opaque-token',
    ESC_PIC: '999859608',
    ESC_ON_DISABLE: 'delete',
    ESC_CARD_TYPE: 'SMART_CDZ',
    ESC_TIMEOUT_MS: '15000',
  })
  t.same(real.esc, { url: 'https://sandbox.europeanstudentcard.eu/esc-rest', token: 'opaque-token', pic: '999859608', onDisable: 'delete', cardType: 'SMART_CDZ', timeoutMs: 15_000 })
  t.equal(real.simulators, false)
  const withoutEsc = loadConfig({ IZLY_SOAP_URL: 'https://izly.example/soap', SGC_HMAC_SECRETS: SECRET, PSEUDONYM_KEY: KEY })
  t.equal(withoutEsc.esc.url, undefined, 'simulators off and no ESC_ROUTER_URL: ESC is not configured, which is no error')
})

t.test('ADMIN_TOKENS: name:token pairs, several at once; bare tokens still read; bad entries named', async (t) => {
  const base = { SIMULATORS: 'off', IZLY_SOAP_URL: 'http://127.0.0.1:9/izly', SGC_HMAC_SECRETS: 'sgc-secret-0123456789', PSEUDONYM_KEY: 'k'.repeat(32) }
  const named = loadConfig({ ...base, ADMIN_TOKENS: 'alice:alice-token-0123456789, bob:bob-token-0123456789:with-colon' })
  t.same(named.adminOperators, [{ name: 'alice', token: 'alice-token-0123456789' }, { name: 'bob', token: 'bob-token-0123456789:with-colon' }], 'split at the first colon')
  t.same(named.adminTokens, ['alice-token-0123456789', 'bob-token-0123456789:with-colon'])
  const bare = loadConfig({ ...base, ADMIN_TOKENS: 'old-format-token-0123456789,carol:carol-token-0123456789' })
  t.same(bare.adminOperators.map(({ name }) => name), ['admin-1', 'carol'], 'a bare token is named by its position')
  for (const [value, problem] of [
    ['alice:short', /entry 1 \(alice\): the token must be at least 16 characters/],
    [':token-without-a-name-0123', /entry 1: the operator name/],
    ['al ice:token-0123456789abcdef', /entry 1: the operator name/],
    ['alice:token-0123456789abcdef,alice:other-token-0123456789', /operator "alice" is listed twice/],
    ['alice:token-0123456789abcdef,bob:token-0123456789abcdef', /entry 2 \(bob\): the same token is given to two operators/],
  ] as const) {
    t.throws(() => loadConfig({ ...base, ADMIN_TOKENS: value }), { name: 'ConfigError', variable: 'ADMIN_TOKENS', message: problem }, value)
    try { loadConfig({ ...base, ADMIN_TOKENS: value }) } catch (error) { t.notMatch((error as Error).message, /0123456789/, 'the message never echoes a token') }
  }
})
