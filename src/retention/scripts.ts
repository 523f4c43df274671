import { readFileSync } from 'node:fs'
import type { Redis } from 'ioredis'

/** The retention scripts, loaded once from `scripts/` (as registry/scripts.ts does for the registry's). */
const SCRIPTS = {
  leoEraseCards: 'erase-cards.lua',
  leoRetentionPage: 'retention-page.lua',
} as const

export interface RetentionCommands {
  leoEraseCards (numberOfKeys: number, ...args: Array<string | number>): Promise<[string, string | number, string?]>
  leoRetentionPage (numberOfKeys: number, ...args: Array<string | number>): Promise<Array<string | number>>
}

export function defineRetentionCommands (redis: Redis): Redis & RetentionCommands {
  for (const [name, file] of Object.entries(SCRIPTS)) {
    if (!(name in redis)) redis.defineCommand(name, { lua: readFileSync(new URL(`./scripts/${file}`, import.meta.url), 'utf8') })
  }
  return redis as Redis & RetentionCommands
}
