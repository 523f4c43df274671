import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config/load.ts'

/** The ConfigError loading `env` throws, if any. */
function failure (env: Record<string, string>): unknown {
  try {
    loadConfig(env)
  } catch (error) {
    return error
  }
  return undefined
}

const PRODUCTION = { IZLY_SOAP_URL: 'https://izly.example/soap', SGC_HMAC_SECRETS: 'a-long-enough-sgc-secret', PSEUDONYM_KEY: 'a-pseudonym-key-of-32-characters-at-least' }

t.test('the policy check refuses by default, and only warns in the demo', async (t) => {
  t.equal(loadConfig(PRODUCTION).redis.policyCheck, 'refuse')
  t.equal(loadConfig({}).redis.policyCheck, 'warn', 'simulators on')
  t.equal(loadConfig({ ...PRODUCTION, REDIS_POLICY_CHECK: 'warn' }).redis.policyCheck, 'warn')
  t.throws(() => loadConfig({ ...PRODUCTION, REDIS_POLICY_CHECK: 'ignore' }), new ConfigError('REDIS_POLICY_CHECK', 'expected one of refuse, warn, got "ignore"'))
})

t.test('Sentinel: sentinels, name and passwords from files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'leocarte-config-'))
  writeFileSync(join(dir, 'pw'), 's3cret\n')
  writeFileSync(join(dir, 'spw'), 'sentinel-s3cret')
  const config = loadConfig({ ...PRODUCTION, REDIS_SENTINELS: 'redis-a:26379, redis-b, [fd00::1]:26380', REDIS_SENTINEL_NAME: 'leocarte', REDIS_PASSWORD_FILE: join(dir, 'pw'), REDIS_SENTINEL_PASSWORD_FILE: join(dir, 'spw') })
  t.same(config.redis.sentinels, [{ host: 'redis-a', port: 26379 }, { host: 'redis-b', port: 26379 }, { host: 'fd00::1', port: 26380 }])
  t.equal(config.redis.sentinelName, 'leocarte')
  t.equal(config.redis.password, 's3cret')
  t.equal(config.redis.sentinelPassword, 'sentinel-s3cret')
  t.equal(config.redisUrlGiven, true, 'the demo never starts its own Redis beside Sentinel')
  t.match(failure({ ...PRODUCTION, REDIS_SENTINELS: 'redis-a' }), { variable: 'REDIS_SENTINEL_NAME' })
  t.match(failure({ ...PRODUCTION, REDIS_SENTINEL_NAME: 'leocarte' }), { variable: 'REDIS_SENTINELS' })
  t.match(failure({ ...PRODUCTION, REDIS_SENTINELS: 'redis-a', REDIS_SENTINEL_NAME: 'x', REDIS_URL: 'redis://r:6379' }), { variable: 'REDIS_SENTINELS', message: /not both/ })
  t.match(failure({ ...PRODUCTION, REDIS_SENTINELS: 'redis-a:99999', REDIS_SENTINEL_NAME: 'x' }), { variable: 'REDIS_SENTINELS' })
  t.match(failure({ ...PRODUCTION, REDIS_PASSWORD_FILE: join(dir, 'missing') }), { variable: 'REDIS_PASSWORD_FILE', message: /cannot read/ })
})

t.test('TLS: rediss:// or REDIS_TLS=on, a CA in PEM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'leocarte-config-'))
  writeFileSync(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
  writeFileSync(join(dir, 'not-a-ca'), 'hello')
  t.equal(loadConfig({ ...PRODUCTION, REDIS_URL: 'rediss://r:6380' }).redis.tls, true)
  t.equal(loadConfig({ ...PRODUCTION, REDIS_URL: 'redis://r:6379' }).redis.tls, false)
  t.match(loadConfig({ ...PRODUCTION, REDIS_URL: 'rediss://r:6380', REDIS_TLS_CA_FILE: join(dir, 'ca.crt') }).redis.ca, /BEGIN CERTIFICATE/)
  t.match(failure({ ...PRODUCTION, REDIS_URL: 'rediss://r:6380', REDIS_TLS: 'off' }), { variable: 'REDIS_TLS' })
  t.match(failure({ ...PRODUCTION, REDIS_URL: 'redis://r:6379', REDIS_TLS_CA_FILE: join(dir, 'ca.crt') }), { variable: 'REDIS_TLS_CA', message: /without TLS/ })
  t.match(failure({ ...PRODUCTION, REDIS_URL: 'rediss://r:6380', REDIS_TLS_CA_FILE: join(dir, 'not-a-ca') }), { variable: 'REDIS_TLS_CA', message: /PEM/ })
  t.equal(loadConfig({ ...PRODUCTION, REDIS_SENTINELS: 'a', REDIS_SENTINEL_NAME: 'x', REDIS_TLS: 'on' }).redis.tls, true)
})

t.test('shutdown timings', async (t) => {
  t.same(loadConfig(PRODUCTION).shutdown, { timeoutMs: 30_000, delayMs: 0 })
  t.same(loadConfig({ ...PRODUCTION, SHUTDOWN_TIMEOUT_MS: '60000', SHUTDOWN_DELAY_MS: '5000' }).shutdown, { timeoutMs: 60_000, delayMs: 5000 })
  t.match(failure({ ...PRODUCTION, SHUTDOWN_DELAY_MS: '30000' }), { variable: 'SHUTDOWN_DELAY_MS' })
  t.match(failure({ ...PRODUCTION, SHUTDOWN_TIMEOUT_MS: '10' }), { variable: 'SHUTDOWN_TIMEOUT_MS' })
})
