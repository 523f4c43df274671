// SPEC §9: the simulators run only in the bare demo (or when asked); a configured gateway without an Izly
// endpoint refuses to start; generated credentials exist only in the bare demo and are printed there,
// never logged otherwise nor written to a temp file. The README's two demo commands work end to end.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { DEMO_VARIABLE } from '../../src/app/demo.ts'
import { cleanPrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.ts'
import { waitFor } from '../helpers/wait.ts'

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url))
const DEMO_SCRIPT = fileURLToPath(new URL('../../scripts/demo-opposition.ts', import.meta.url))
const DEMO_ESUP_SGC_SCRIPT = fileURLToPath(new URL('../../scripts/demo-esup-sgc.ts', import.meta.url))

/** The environment of a fresh shell: none of the gateway's variables. */
function bareEnv (extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME }
  return { ...env, ...extra }
}

t.test('a worker whose configuration has a Redis but no Izly endpoint refuses to start, naming the variable', async (t) => {
  const child = spawn(process.execPath, [MAIN], { env: bareEnv({ REDIS_URL, GATEWAY_ROLE: 'worker', REDIS_PREFIX: uniquePrefix() }), stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  let stdout = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)))
  t.equal(code, 1, 'exits with an error')
  t.match(stderr, /^leocarte-gateway: configuration error: IZLY_SOAP_URL, IZLY_API_URL: one is required[^\n]*\n$/, 'one line naming the variables (either transport)')
  t.notMatch(stdout, /simulator/i, 'no simulator was started')
})

t.test('the bare demo prints its generated credentials once, logs none of them and writes no temp file; demo:opposition runs on what it printed', async (t) => {
  const prefix = uniquePrefix()
  const tmp = mkdtempSync(join(tmpdir(), 'leocarte-demo-test-'))
  t.teardown(async () => await cleanPrefix(REDIS_URL, prefix))
  // No REDIS_URL: the demo uses the Redis on 127.0.0.1:6379 (the test Redis), under its own prefix.
  const demo = spawn(process.execPath, [MAIN], { env: bareEnv({ PORT: '0', REDIS_PREFIX: prefix, TMPDIR: tmp, LOG_LEVEL: 'info' }), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  demo.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  const exited = new Promise<void>((resolve) => demo.once('exit', () => resolve()))
  t.teardown(async () => {
    if (demo.exitCode === null) demo.kill('SIGKILL')
    await exited
  })
  const line = await waitFor('the demo announcement', () => stdout.split('\n').find((text) => text.includes(`${DEMO_VARIABLE}=`)), 30_000)
  const encoded = /LEOCARTE_DEMO=(\S+)/.exec(line)?.[1] ?? ''
  const info = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as { secret: string, adminToken: string, crousApiKey: string }
  t.ok(info.secret.length >= 16 && info.adminToken.length >= 16 && info.crousApiKey.length >= 16, 'generated credentials are handed to demo:opposition')

  const run = spawn(process.execPath, [DEMO_SCRIPT], { env: bareEnv({ [DEMO_VARIABLE]: encoded }), stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  run.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  run.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const code = await new Promise<number | null>((resolve) => run.once('exit', (exitCode) => resolve(exitCode)))
  t.equal(code, 0, `demo:opposition succeeds (${output.slice(0, 400)})`)
  t.match(output, /OpposeSmartCard for idZdc \d+ with reason DP/)
  t.match(output, /"valid":false/)

  // demo:esup-sgc: an ESUP-SGC disable through the API CROUS façade, the Izly simulator down, then up.
  const esup = spawn(process.execPath, [DEMO_ESUP_SGC_SCRIPT], { env: bareEnv({ [DEMO_VARIABLE]: encoded }), stdio: ['ignore', 'pipe', 'pipe'] })
  let esupOutput = ''
  esup.stdout.on('data', (chunk: Buffer) => { esupOutput += chunk.toString() })
  esup.stderr.on('data', (chunk: Buffer) => { esupOutput += chunk.toString() })
  t.equal(await new Promise<number | null>((resolve) => esup.once('exit', (exitCode) => resolve(exitCode))), 0, `demo:esup-sgc succeeds (${esupOutput.slice(0, 400)})`)
  t.match(esupOutput, /C8 PATCH \S+ -> 204/, 'the opposition is answered 204 while Izly is down')
  t.match(esupOutput, /OpposeSmartCard for idZdc \d+ with reason DP/, 'and reaches Izly once it is back')

  demo.kill('SIGTERM')
  await exited
  const logLines = stdout.split('\n').filter((text) => text.startsWith('{'))
  t.ok(logLines.length > 0, 'the demo logged (pino JSON)')
  for (const secret of [info.secret, info.adminToken, info.crousApiKey]) {
    t.notOk(logLines.some((text) => text.includes(secret)), 'no generated credential in any log line')
  }
  t.same(readdirSync(tmp), [], 'nothing was written to the temp folder')
})
