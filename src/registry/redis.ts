import { Redis } from 'ioredis'
import { redisTargetOptions, type RedisTarget } from './redis-options.ts'

export type RedisUse = 'intake' | 'worker'

/**
 * Intake connections fail fast (no offline queue, one retry) so that an unreachable Redis turns into a
 * 503 instead of a request that hangs; worker connections wait for Redis to come back, as BullMQ requires.
 */
export function createRedis (target: string | RedisTarget, use: RedisUse, name = `leocarte-${use}`): Redis {
  const { url, options } = redisTargetOptions(typeof target === 'string' ? { url: target } : target)
  const behaviour = {
    ...options,
    connectionName: name,
    lazyConnect: true,
    enableOfflineQueue: use === 'worker',
    maxRetriesPerRequest: use === 'worker' ? null : 1,
    // Reconnect forever with a capped delay: the gateway outlives Redis restarts.
    retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 6), 5_000),
  }
  return url === undefined ? new Redis(behaviour) : new Redis(url, behaviour)
}
