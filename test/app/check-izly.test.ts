// `npm run check:izly` against the simulator's API CROUS face: OK with the right credentials, a clear
// failure naming what to fix otherwise. Run as a user would: a process with the gateway's environment.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { testIzly } from '../helpers/izly.ts'

const SCRIPT = fileURLToPath(new URL('../../scripts/check-izly.ts', import.meta.url))

async function check (env: Record<string, string>): Promise<{ code: number | null, output: string }> {
  const child = spawn(process.execPath, [SCRIPT], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)))
  return { code, output }
}

t.test('the connection check: token, then a read the API itself answers', async (t) => {
  const izly = await testIzly(t)
  const env = { IZLY_API_URL: izly.apiUrl, IZLY_ACCESS_URL: izly.accessUrl, IZLY_CLIENT_ID: izly.clientId, IZLY_CLIENT_SECRET: izly.clientSecret }
  const ok = await check(env)
  t.equal(ok.code, 0, ok.output)
  t.match(ok.output, /token\s+obtained from http:\/\/127\.0\.0\.1:\d+\/api\/oauth\/token, valid 3600 s/)
  t.match(ok.output, /unknown holder, answered by Izly itself/)
  t.same(izly.listCalls().map((call) => `${call.operation} ${call.httpStatus}`), ['Token 200', 'GetRightHolder 404'])

  const wrong = await check({ ...env, IZLY_CLIENT_SECRET: 'not-it' })
  t.equal(wrong.code, 1)
  t.match(wrong.output, /FAILED: TOKEN_HTTP_401.*IZLY_CLIENT_SECRET/)
  t.notMatch(wrong.output, /not-it/, 'the secret is never printed')

  const misplaced = await check({ ...env, IZLY_API_URL: `${izly.apiUrl}/somewhere` })
  t.equal(misplaced.code, 1)
  t.match(misplaced.output, /HTTP_404[\s\S]*check IZLY_API_URL/)

  const unconfigured = await check({ IZLY_API_URL: izly.apiUrl })
  t.equal(unconfigured.code, 1)
  t.match(unconfigured.output, /configuration error: IZLY_CLIENT_ID: required with IZLY_API_URL/)
})
