import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import type { Test } from 'tap'
import { DOWNSTREAMS } from '../../src/domain/downstream.ts'
import { buildKeys } from '../../src/registry/keys.ts'
import { Registry } from '../../src/registry/registry.ts'

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
export const TEST_PSEUDONYM_KEY = 'test-pseudonym-key-0123456789abcdef'

/** A key prefix no other test uses, so test files can run in parallel on one Redis. */
export function uniquePrefix (): string {
  return `leotest-${randomBytes(5).toString('hex')}`
}

/** A connection closed on teardown, after every key under `prefix` is deleted. */
export async function testRedis (t: Test, prefix: string, url = REDIS_URL): Promise<Redis> {
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true })
  await redis.connect()
  t.teardown(async () => {
    await deleteKeys(redis, prefix).catch(() => {})
    redis.disconnect()
  })
  return redis
}

export async function deleteKeys (redis: Redis, prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) await redis.del(...keys)
  } while (cursor !== '0')
}

/**
 * Keys under `prefix`, rate-limit counters left out: they count requests (a refused one too), hold no
 * state and expire with their window (src/app/protection/rate-limits.ts).
 */
export async function countKeys (redis: Redis, prefix: string): Promise<number> {
  let cursor = '0'
  let count = 0
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    cursor = next
    count += keys.filter((key) => !key.startsWith(`${prefix}:rate-limit:`)).length
  } while (cursor !== '0')
  return count
}

export function testRegistry (redis: Redis, prefix: string): Registry {
  return new Registry({ redis, keys: buildKeys(prefix, TEST_PSEUDONYM_KEY), downstreams: DOWNSTREAMS })
}

/** Deletes every key under `prefix`, on a short-lived connection (for teardowns). */
export async function cleanPrefix (url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
  try {
    await redis.connect()
    await deleteKeys(redis, prefix)
  } catch {
    // A test that stopped its Redis has nothing left to clean.
  } finally {
    redis.disconnect()
  }
}
