import { Redis } from 'ioredis'

export type RedisUse = 'intake' | 'worker'

/**
 * Intake connections fail fast (no offline queue, one retry) so that an unreachable Redis turns into a
 * 503 instead of a request that hangs; worker connections wait for Redis to come back, as BullMQ requires.
 */
export function createRedis (url: string, use: RedisUse, name = `leocarte-${use}`): Redis {
  return new Redis(url, {
    connectionName: name,
    lazyConnect: true,
    enableOfflineQueue: use === 'worker',
    maxRetriesPerRequest: use === 'worker' ? null : 1,
    // Reconnect forever with a capped delay: the gateway outlives Redis restarts.
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5_000),
  })
}
