import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium } from 'playwright-core'
import type { Test } from 'tap'

/** Debian's chromium (`apt-get install chromium`; `.ci/run` installs it when missing). */
export const CHROMIUM = '/usr/bin/chromium'

/** The flags every browser test runs with: headless, no sandbox, nothing that calls out on its own. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** A headless chromium with a fresh profile (--user-data-dir), closed and removed on teardown. */
export async function launchChromium (t: Test, options: { httpCredentials?: { username: string, password: string } } = {}): Promise<BrowserContext> {
  t.ok(existsSync(CHROMIUM), `${CHROMIUM} is installed (Debian's chromium: apt-get install chromium)`)
  const profile = mkdtempSync(join(tmpdir(), 'leocarte-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    ...(options.httpCredentials !== undefined ? { httpCredentials: options.httpCredentials } : {}),
  })
  t.teardown(async () => {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  })
  return context
}
