import type { RedisConfig, RedisPolicyCheck } from './config.ts'
import { ConfigError, oneOf, parseSwitch, type Reader } from './load.ts'

/**
 * Redis beyond a plain URL: Sentinel, TLS with a private CA, credentials from files, and what to do when
 * Redis is not set up for production (SPEC §6: AOF on, maxmemory-policy noeviction).
 */
export function loadRedisConfig (read: Reader, options: { url: string | undefined, simulators: boolean }): RedisConfig {
  const sentinels = sentinelList(read('REDIS_SENTINELS'))
  const sentinelName = read('REDIS_SENTINEL_NAME')
  if (sentinels !== undefined) {
    if (options.url !== undefined) throw new ConfigError('REDIS_SENTINELS', 'give either REDIS_URL or REDIS_SENTINELS, not both')
    if (sentinelName === undefined) throw new ConfigError('REDIS_SENTINEL_NAME', 'required with REDIS_SENTINELS (the name the sentinels monitor the primary under)')
  } else if (sentinelName !== undefined) {
    throw new ConfigError('REDIS_SENTINELS', 'required with REDIS_SENTINEL_NAME (comma-separated host:port of the sentinels)')
  }
  const urlTls = options.url !== undefined && new URL(options.url).protocol === 'rediss:'
  const tls = parseSwitch(read, 'REDIS_TLS', urlTls)
  if (urlTls && !tls) throw new ConfigError('REDIS_TLS', 'cannot be off with a rediss:// REDIS_URL')
  const ca = read('REDIS_TLS_CA')
  if (ca !== undefined && !tls) throw new ConfigError('REDIS_TLS_CA', 'given without TLS: use a rediss:// REDIS_URL, or REDIS_TLS=on with Sentinel')
  if (ca !== undefined && !ca.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError('REDIS_TLS_CA', 'expected PEM certificates (-----BEGIN CERTIFICATE-----)')
  return {
    sentinels,
    sentinelName,
    username: read('REDIS_USERNAME'),
    password: read('REDIS_PASSWORD'),
    sentinelUsername: read('REDIS_SENTINEL_USERNAME'),
    sentinelPassword: read('REDIS_SENTINEL_PASSWORD'),
    tls,
    ca,
    // Refusing is the production default: a Redis that evicts or forgets loses accepted oppositions. The
    // demo (simulators on) only warns, as it holds nothing real and often runs on a developer's Redis.
    policyCheck: oneOf<RedisPolicyCheck>(read, 'REDIS_POLICY_CHECK', ['refuse', 'warn'], options.simulators ? 'warn' : 'refuse'),
  }
}

function sentinelList (raw: string | undefined): Array<{ host: string, port: number }> | undefined {
  if (raw === undefined) return undefined
  const sentinels = raw.split(',').map((item) => item.trim()).filter((item) => item !== '').map((item) => {
    // host:port, [ipv6]:port; the port defaults to Sentinel's 26379.
    const match = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(item)
    const port = Number(match?.[2] ?? 26379)
    if (match === null || port < 1 || port > 65535) throw new ConfigError('REDIS_SENTINELS', `expected host:port items separated by commas, got "${item}"`)
    return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port }
  })
  if (sentinels.length === 0) throw new ConfigError('REDIS_SENTINELS', 'no sentinel given')
  return sentinels
}
