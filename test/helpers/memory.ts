import type { Redis } from 'ioredis'
import { jobIdFor } from '../../src/queue/lanes.ts'

/** Bytes a pending card's own keys may take, whatever the outage (README, "What it guarantees"). */
export const BOUND_PER_CARD = 8 * 1024

/**
 * Bytes Redis uses for each card's own keys (MEMORY USAGE, exact for these small types): its record,
 * events, activity, sync status, event and index keys, and its BullMQ job in `lane`. What is shared by
 * every card and bounded on its own (a queue's event stream, the dirty set) is not counted here.
 */
export async function cardBytes (redis: Redis, prefix: string, cardIds: readonly string[], lane: 'oppose' | 'enable' = 'oppose'): Promise<number[]> {
  const perCard: string[][] = cardIds.map((cardId) => [
    `${prefix}:card:${cardId}`, `${prefix}:timeline:${cardId}`, `${prefix}:activity:izly:${cardId}`, `${prefix}:sync:izly:${cardId}`,
    `${prefix}:bull:izly-${lane}:${jobIdFor(cardId)}`,
  ])
  const pipeline = redis.pipeline()
  for (const keys of perCard) for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', '0')
  const replies = await pipeline.exec() ?? []
  let index = 0
  return perCard.map((keys) => keys.reduce((sum) => sum + Number(replies[index++]?.[1] ?? 0), 0))
}

/** Bytes of every key under `prefix` (shared ones included), by MEMORY USAGE: never INFO, which other users of the server skew. */
export async function prefixBytes (redis: Redis, prefix: string): Promise<{ bytes: number, keys: number }> {
  let cursor = '0'
  let bytes = 0
  let keys = 0
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    cursor = next
    if (found.length === 0) continue
    const pipeline = redis.pipeline()
    for (const key of found) pipeline.memory('USAGE', key, 'SAMPLES', '0')
    for (const [, size] of await pipeline.exec() ?? []) bytes += Number(size ?? 0)
    keys += found.length
  } while (cursor !== '0')
  return { bytes, keys }
}

export function average (values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length)
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function cpuSeconds (pid: number, readFile: (path: string) => string): number {
  const stat = readFile(`/proc/${pid}/stat`)
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the command name, in clock ticks.
  return (Number(fields[11]) + Number(fields[12])) / 100
}
