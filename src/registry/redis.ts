import { Redis } from 'ioredis'
import { redisTargetOptions, type RedisTarget } from './redis-options.ts'

export type RedisUse = 'intake' | 'worker'

/** REDIS_REQUEST_TIMEOUT_MS default: how long one request-path command may wait for its answer. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 1000

/**
 * Intake connections (everything a request waits on) fail fast: no offline queue, one retry, and no
 * command waits longer than `requestTimeoutMs`, so that a refused connection, a stalled server (SIGSTOP,
 * a partition, a failover) or a blocked one all turn into a 503 instead of a request that hangs. Worker
 * connections wait for Redis to come back, as BullMQ requires (its blocking commands take no timeout).
 */
export function createRedis (target: string | RedisTarget, use: RedisUse, name = `leocarte-${use}`, requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Redis {
  const { url, options } = redisTargetOptions(typeof target === 'string' ? { url: target } : target)
  const behaviour = {
    ...options,
    connectionName: name,
    lazyConnect: true,
    enableOfflineQueue: use === 'worker',
    maxRetriesPerRequest: use === 'worker' ? null : 1,
    ...(use === 'worker' ? {} : { commandTimeout: requestTimeoutMs }),
    // Reconnect forever with a capped delay: the gateway outlives Redis restarts.
    retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 6), 5_000),
  }
  return url === undefined ? new Redis(behaviour) : new Redis(url, behaviour)
}
