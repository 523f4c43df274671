import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config/load.ts'

const REAL = { IZLY_SOAP_URL: 'https://izly.example/soap', SGC_HMAC_SECRETS: 'a-long-enough-sgc-secret', PSEUDONYM_KEY: 'a-pseudonym-key-of-at-least-32-characters' }

t.test('validity defaults: closed interfaces outside the demo, limits and caches set', async (t) => {
  const config = loadConfig(REAL)
  t.same(config.crousApiKeys, [])
  t.same(config.crousSoapUsers, [])
  t.equal(config.crousApiKeyGenerated, false)
  t.equal(config.crousSoapUserGenerated, false)
  t.same(config.validity, {
    routerStatusUrl: undefined,
    routerTimeoutMs: 2000,
    routerCacheSeconds: 60,
    routerNegativeCacheSeconds: 30,
    routerCacheEntries: 10_000,
    soapMaxBodyBytes: 16_384,
    soapMaxDepth: 32,
    timeZone: 'Europe/Paris',
    publicBaseUrl: undefined,
    publicHosts: [],
  })
  t.ok(Object.isFrozen(config.validity))
  t.same(loadConfig({ ...REAL, PUBLIC_HOSTS: 'GW.univ.fr, gw.univ.fr:8443,[::1]:3000' }).validity.publicHosts, ['gw.univ.fr', 'gw.univ.fr:8443', '[::1]:3000'], 'lower-cased')
})

t.test('the demo generates a CROUS API key and SOAP user; given ones are kept', async (t) => {
  const demo = loadConfig({})
  t.equal(demo.crousApiKeyGenerated, true)
  t.equal(demo.crousApiKeys.length, 1)
  t.equal(demo.crousSoapUserGenerated, true)
  t.match(demo.crousSoapUsers, [{ user: 'crous-demo', password: /^[\w-]{24}$/ }])
  const given = loadConfig({ CROUS_API_KEYS: 'k1,k2', CROUS_SOAP_USERS: 'caen:pw:with:colons' })
  t.same(given.crousApiKeys, ['k1', 'k2'])
  t.same(given.crousSoapUsers, [{ user: 'caen', password: 'pw:with:colons' }], 'the first colon splits')
  t.equal(given.crousApiKeyGenerated, false)
})

t.test('the router status URL: its own variable, else ESC_ROUTER_URL', async (t) => {
  t.equal(loadConfig({ ...REAL, ESC_ROUTER_STATUS_URL: 'https://router.europeanstudentcard.eu/esc-rest' }).validity.routerStatusUrl, 'https://router.europeanstudentcard.eu/esc-rest')
  t.equal(loadConfig({ ...REAL, ESC_ROUTER_URL: 'https://router.example/esc-rest', ESC_ROUTER_TOKEN: 'token', ESC_PIC: '999900001' }).validity.routerStatusUrl, 'https://router.example/esc-rest')
  t.equal(loadConfig({ ...REAL, PUBLIC_BASE_URL: 'https://gw.univ.fr/' }).validity.publicBaseUrl, 'https://gw.univ.fr', 'no trailing slash')
  t.equal(loadConfig({ ...REAL, VALIDITY_TIME_ZONE: 'UTC', SOAP_MAX_DEPTH: '12' }).validity.soapMaxDepth, 12)
})

t.test('every bad validity value names its variable', async (t) => {
  const bad: Array<[Record<string, string>, string]> = [
    [{ ESC_ROUTER_STATUS_URL: 'ftp://router' }, 'ESC_ROUTER_STATUS_URL'],
    [{ ROUTER_STATUS_TIMEOUT_MS: '10' }, 'ROUTER_STATUS_TIMEOUT_MS'],
    [{ ROUTER_STATUS_CACHE_SECONDS: 'a minute' }, 'ROUTER_STATUS_CACHE_SECONDS'],
    [{ ROUTER_STATUS_NEGATIVE_CACHE_SECONDS: '-1' }, 'ROUTER_STATUS_NEGATIVE_CACHE_SECONDS'],
    [{ ROUTER_STATUS_CACHE_ENTRIES: '0' }, 'ROUTER_STATUS_CACHE_ENTRIES'],
    [{ SOAP_MAX_BODY_BYTES: '100' }, 'SOAP_MAX_BODY_BYTES'],
    [{ SOAP_MAX_DEPTH: '1000' }, 'SOAP_MAX_DEPTH'],
    [{ VALIDITY_TIME_ZONE: 'Europe/Rouen' }, 'VALIDITY_TIME_ZONE'],
    [{ PUBLIC_BASE_URL: 'gw.univ.fr' }, 'PUBLIC_BASE_URL'],
    [{ CROUS_SOAP_USERS: 'caen:a,caen:b' }, 'CROUS_SOAP_USERS'],
  ]
  for (const [env, variable] of bad) {
    let caught: unknown
    try { loadConfig({ ...REAL, ...env }) } catch (error) { caught = error }
    t.ok(caught instanceof ConfigError, `${JSON.stringify(env)} is refused`)
    t.equal((caught as ConfigError).variable, variable)
  }
})
