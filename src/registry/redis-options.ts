import type { RedisOptions } from 'ioredis'
import type { RedisConfig } from '../config/config.ts'

/** Where Redis is: a URL (redis:// or rediss://), or Sentinel, with credentials and TLS (REDIS_* variables). */
export type RedisTarget = { url: string } & Partial<RedisConfig>

/**
 * The ioredis options for a target. With Sentinel, ioredis asks the sentinels for the current primary at
 * every (re)connection, so a failover is followed by a reconnect to the promoted replica.
 */
export function redisTargetOptions (target: RedisTarget): { url: string | undefined, options: RedisOptions } {
  const tls = target.tls === true ? { tls: target.ca !== undefined ? { ca: target.ca } : {} } : {}
  const credentials = {
    ...(target.username !== undefined ? { username: target.username } : {}),
    ...(target.password !== undefined ? { password: target.password } : {}),
  }
  if (target.sentinels !== undefined && target.sentinelName !== undefined) {
    return {
      url: undefined,
      options: {
        sentinels: target.sentinels.map(({ host, port }) => ({ host, port })),
        name: target.sentinelName,
        role: 'master',
        ...credentials,
        ...(target.sentinelUsername !== undefined ? { sentinelUsername: target.sentinelUsername } : {}),
        ...(target.sentinelPassword !== undefined ? { sentinelPassword: target.sentinelPassword } : {}),
        ...tls,
        // TLS to the primary and to the sentinels alike (a deployment secures both or neither).
        ...(target.tls === true ? { enableTLSForSentinelMode: true, sentinelTLS: tls.tls } : {}),
        // Follow +switch-master at once rather than on the next connection error.
        failoverDetector: true,
      },
    }
  }
  return { url: target.url, options: { ...credentials, ...tls } }
}
