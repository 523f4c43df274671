import type { Redis } from 'ioredis'
import { RegistryUnavailableError } from '../../intake/intake-service.ts'
import type { NonceStore } from './ws-security.ts'

/**
 * Nonces in Redis (SET NX with an expiry), so that a message replayed to another API replica is
 * caught too, and the store is bounded by the freshness window. The key lives under the gateway's
 * prefix like every other key; it is built here because only this store uses it.
 */
export function createRedisNonceStore (redis: Redis, prefix: string): NonceStore {
  return {
    async remember (key, ttlMs) {
      try {
        return await redis.set(`${prefix}:wss-nonce:${key}`, '1', 'PX', ttlMs, 'NX') === 'OK'
      } catch (error) {
        throw new RegistryUnavailableError(error)
      }
    },
  }
}
