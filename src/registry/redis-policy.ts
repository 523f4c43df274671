import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { RedisPolicyCheck } from '../config/config.ts'

/** Oldest Redis BullMQ 6 runs on. */
export const MIN_REDIS_VERSION = '6.2.0'

/** Redis is not fit to hold the guarantee (SPEC §6); the message names what to change. */
export class RedisPolicyError extends Error {
  readonly problems: readonly string[]
  constructor (problems: readonly string[]) {
    super(`Redis is not set up for production: ${problems.join('; ')} (set REDIS_POLICY_CHECK=warn to start anyway)`)
    this.name = 'RedisPolicyError'
    this.problems = problems
  }
}

export interface RedisPolicyReport {
  version: string | undefined
  maxmemoryPolicy: string | undefined
  aofEnabled: boolean | undefined
  problems: string[]
}

/**
 * Reads INFO (not CONFIG GET, which managed services often forbid) and lists what breaks the guarantee:
 * an eviction policy other than noeviction drops queued jobs and card records under memory pressure;
 * without AOF a Redis restart forgets every write since the last snapshot, accepted oppositions included.
 */
export async function inspectRedis (redis: Redis): Promise<RedisPolicyReport> {
  let info: string
  try {
    info = await redis.info()
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    return { version: undefined, maxmemoryPolicy: undefined, aofEnabled: undefined, problems: [`INFO failed (${reason}): cannot check the eviction policy and persistence; allow INFO for the gateway's user`] }
  }
  const field = (name: string): string | undefined => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim()
  const version = field('redis_version')
  const maxmemoryPolicy = field('maxmemory_policy')
  const aof = field('aof_enabled')
  const problems: string[] = []
  if (version !== undefined && compareVersions(version, MIN_REDIS_VERSION) < 0) problems.push(`Redis ${version} is older than ${MIN_REDIS_VERSION}, which BullMQ requires`)
  if (maxmemoryPolicy !== 'noeviction') problems.push(`maxmemory-policy is ${maxmemoryPolicy ?? 'unknown'}, must be noeviction (evicted keys are lost work)`)
  if (aof !== '1') problems.push(`appendonly is ${aof === '0' ? 'no' : 'unknown'}, must be yes (without AOF a restart loses accepted events)`)
  return { version, maxmemoryPolicy, aofEnabled: aof === undefined ? undefined : aof === '1', problems }
}

/** At start: refuse to run (throws RedisPolicyError) or warn, by REDIS_POLICY_CHECK. */
export async function checkRedisPolicy (redis: Redis, mode: RedisPolicyCheck, logger: Logger): Promise<RedisPolicyReport> {
  const report = await inspectRedis(redis)
  if (report.problems.length === 0) {
    logger.info({ redisVersion: report.version, maxmemoryPolicy: report.maxmemoryPolicy, aof: report.aofEnabled }, 'Redis setup checked: noeviction, AOF on')
  } else if (mode === 'refuse') {
    throw new RedisPolicyError(report.problems)
  } else {
    logger.warn({ problems: report.problems }, 'Redis is not set up for production; starting anyway (REDIS_POLICY_CHECK=warn)')
  }
  return report
}

function compareVersions (a: string, b: string): number {
  const parts = (version: string): number[] => version.split('.').map((part) => Number.parseInt(part, 10) || 0)
  const [x, y] = [parts(a), parts(b)]
  for (let index = 0; index < Math.max(x.length, y.length); index++) {
    const difference = (x[index] ?? 0) - (y[index] ?? 0)
    if (difference !== 0) return difference
  }
  return 0
}

/**
 * The start-up check, run when Redis first answers: at once when it is ready, else on its first `ready`
 * (a gateway started while Redis is down keeps reconnecting until then). Once passed, every later
 * reconnection is checked again (recheckOnReconnect). Rejects with RedisPolicyError in refuse mode.
 */
export async function checkRedisPolicyWhenReady (redis: Redis, mode: RedisPolicyCheck, logger: Logger): Promise<RedisPolicyReport> {
  if (redis.status !== 'ready') await new Promise<void>((resolve) => redis.once('ready', () => { resolve() }))
  const report = await checkRedisPolicy(redis, mode, logger)
  recheckOnReconnect(redis, logger)
  return report
}

/**
 * Checks again at every reconnection, where a failover may have promoted another server: each problem is
 * an error log line. The process keeps running (stopping every pod would stop the oppositions as well).
 */
export function recheckOnReconnect (redis: Redis, logger: Logger): void {
  redis.on('ready', () => {
    inspectRedis(redis).then((report) => {
      if (report.problems.length > 0) logger.error({ problems: report.problems }, 'Redis, after a reconnection (a failover?), is not set up for production')
    }, () => {})
  })
}
