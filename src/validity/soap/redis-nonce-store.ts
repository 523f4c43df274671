import type { Redis } from 'ioredis'
import { RegistryUnavailableError } from '../../intake/intake-service.ts'
import type { RegistryKeys } from '../../registry/keys.ts'
import { isRedisUnavailable } from '../../registry/unavailable.ts'
import type { NonceStore } from './ws-security.ts'

/**
 * Nonces in Redis (SET NX with an expiry), so that a message replayed to another API replica is
 * caught too, and the store is bounded by the freshness window.
 */
export function createRedisNonceStore (redis: Redis, keys: Pick<RegistryKeys, 'soapNonce'>): NonceStore {
  return {
    async remember (key, ttlMs) {
      try {
        return await redis.set(keys.soapNonce(key), '1', 'PX', ttlMs, 'NX') === 'OK'
      } catch (error) {
        throw isRedisUnavailable(error) ? new RegistryUnavailableError(error) : error
      }
    },
  }
}
