import type { Redis } from 'ioredis'

/**
 * Every key under `prefix` with its content, whatever its type (strings, hashes, lists, sets, sorted
 * sets with their scores, streams): what an erasure test searches.
 */
export async function scanEveryKey (redis: Redis, prefix: string): Promise<Array<{ key: string, type: string, content: string }>> {
  const found: Array<{ key: string, type: string, content: string }> = []
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    cursor = next
    for (const key of keys) {
      const type = await redis.type(key)
      let content: unknown
      if (type === 'string') content = await redis.get(key)
      else if (type === 'hash') content = await redis.hgetall(key)
      else if (type === 'list') content = await redis.lrange(key, 0, -1)
      else if (type === 'set') content = await redis.smembers(key)
      else if (type === 'zset') content = await redis.zrange(key, 0, -1, 'WITHSCORES')
      else if (type === 'stream') content = await redis.xrange(key, '-', '+')
      // 'none': gone since the scan (a lease lapsing); nothing to read.
      else if (type !== 'none') throw new Error(`key ${key}: type ${type} is not searched`)
      found.push({ key, type, content: JSON.stringify(content) ?? '' })
    }
  } while (cursor !== '0')
  return found
}

/** Folded (no accents, lower case) so that `ELOISE` or `éloïse` count as found. */
export function fold (text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()
}

/** `key: needle` for every needle found in a key's name or content. */
export function findNeedles (keys: ReadonlyArray<{ key: string, content: string }>, needles: readonly string[]): string[] {
  const folded = needles.map(fold)
  const hits: string[] = []
  for (const { key, content } of keys) {
    const haystack = fold(`${key}\n${content}`)
    folded.forEach((needle, index) => { if (haystack.includes(needle)) hits.push(`${key}: ${needles[index] ?? ''}`) })
  }
  return hits
}
