import { readFileSync } from 'node:fs'
import type { Redis } from 'ioredis'

/** Lua scripts, loaded once from `scripts/`; the number in a file name is its key count (BullMQ's habit). */
const SCRIPTS = {
  leoIntake: { file: 'intake.lua', numberOfKeys: undefined },
  leoConfirm: { file: 'confirm-5.lua', numberOfKeys: 5 },
  leoStanding: { file: 'standing-3.lua', numberOfKeys: 3 },
  leoLeaseStanding: { file: 'lease-standing-5.lua', numberOfKeys: 5 },
  leoReleaseLease: { file: 'release-lease-1.lua', numberOfKeys: 1 },
  leoRenewLease: { file: 'renew-lease-1.lua', numberOfKeys: 1 },
  leoReopen: { file: 'reopen-3.lua', numberOfKeys: 3 },
  leoRecordFault: { file: 'record-fault-1.lua', numberOfKeys: 1 },
  leoReplayAttention: { file: 'replay-attention-2.lua', numberOfKeys: 2 },
  leoBreakerFailure: { file: 'breaker-failure-1.lua', numberOfKeys: 1 },
  leoBreakerSuccess: { file: 'breaker-success-1.lua', numberOfKeys: 1 },
  leoSweepPage: { file: 'sweep-page-1.lua', numberOfKeys: 1 },
} as const

const sources = new Map<string, string>()

function source (file: string): string {
  let lua = sources.get(file)
  if (lua === undefined) {
    lua = readFileSync(new URL(`./scripts/${file}`, import.meta.url), 'utf8')
    sources.set(file, lua)
  }
  return lua
}

/** A card's record JSON, the downstream's sync hash as a flat field/value list, the attention entry JSON. */
export type StandingReply = [string | null, string[], string | null]

export interface RegistryCommands {
  leoIntake (numberOfKeys: number, ...args: Array<string | number>): Promise<[string, string]>
  leoConfirm (...args: Array<string | number>): Promise<number>
  leoStanding (cardKey: string, syncKey: string, attentionKey: string, cardId: string): Promise<StandingReply>
  leoLeaseStanding (...args: Array<string | number>): Promise<[0] | [1, ...StandingReply, Array<string | null>]>
  leoReleaseLease (key: string, token: string): Promise<number>
  leoRenewLease (key: string, token: string, ttlMs: number): Promise<number>
  leoReopen (syncKey: string, cardKey: string, dirtyKey: string, nowMs: number, cardId: string): Promise<number>
  leoRecordFault (activityKey: string, entry: string, signature: string, cap: number, ...callLines: string[]): Promise<[number, string]>
  leoReplayAttention (attentionKey: string, dirtyKey: string, cardId: string, nowMs: number): Promise<number>
  leoBreakerFailure (breakerKey: string, nowMs: number, threshold: number, openMs: number, doubtful: '0' | '1', code: string): Promise<[number, number, number]>
  leoBreakerSuccess (breakerKey: string, forgetDoubt: '0' | '1', nowMs: number): Promise<number>
  leoSweepPage (attentionKey: string, ...args: string[]): Promise<Array<string | number>>
}

/** Adds the registry's scripts to a connection as commands (EVALSHA with EVAL fallback). */
export function defineRegistryCommands (redis: Redis): Redis & RegistryCommands {
  for (const [name, { file, numberOfKeys }] of Object.entries(SCRIPTS)) {
    if (!(name in redis)) {
      redis.defineCommand(name, numberOfKeys === undefined ? { lua: source(file) } : { lua: source(file), numberOfKeys })
    }
  }
  return redis as Redis & RegistryCommands
}
