// The image, checked without a container engine: the Dockerfile's instructions, the .dockerignore, and
// what a production process loads and writes.
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { parse } from 'yaml'
import { isRecognised, recognisedVariables } from '../helpers/config-variables.ts'
import { startChildGateway } from '../helpers/child-gateway.ts'
import { testEnv } from '../helpers/gateway.ts'
import { uniquePrefix } from '../helpers/redis.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string }

interface Instruction { keyword: string, args: string }

/** Dockerfile instructions, continuation lines joined, comments and parser directives dropped. */
function parseDockerfile (text: string): Instruction[][] {
  const logical = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'))
  const stages: Instruction[][] = []
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? []
    if (keyword.toUpperCase() === 'FROM') stages.push([])
    stages.at(-1)?.push({ keyword: keyword.toUpperCase(), args: args.replace(/\s+/g, ' ') })
  }
  return stages
}

const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))
const final = stages.at(-1) ?? []
const all = (stage: Instruction[], keyword: string): string[] => stage.filter((i) => i.keyword === keyword).map((i) => i.args)
const one = (stage: Instruction[], keyword: string): string => {
  const found = all(stage, keyword)
  if (found.length !== 1) throw new Error(`expected one ${keyword} in the final stage, found ${found.length}`)
  return found[0] as string
}

t.test('multi-stage on Node 24 slim, production dependencies only, from the lock file', async (t) => {
  t.ok(stages.length >= 2, 'more than one stage')
  for (const stage of stages) t.match(stage[0]?.args, /^node:24-slim\b/, `FROM ${stage[0]?.args ?? ''}`)
  const installs = stages.flatMap((stage) => all(stage, 'RUN')).filter((run) => /\bnpm (ci|install)\b/.test(run))
  t.equal(installs.length, 1, 'one npm install in all')
  t.match(installs[0], /\bnpm ci\b.*--omit=dev/, 'npm ci --omit=dev')
  t.notOk(all(final, 'RUN').some((run) => /\bnpm\b/.test(run)), 'nothing is installed with npm in the final stage')
  t.ok(all(final, 'COPY').some((copy) => /--from=\S+ \/app\/node_modules/.test(copy)), 'node_modules come from the dependency stage')
  for (const needed of ['src', 'wsdl', 'openapi', 'package.json']) {
    t.ok(all(final, 'COPY').some((copy) => new RegExp(`(^| )${needed}( |$)`).test(copy)), `${needed} is copied`)
  }
})

t.test('non-root, read-only root friendly, a PID 1 that forwards signals, exec-form entry point', async (t) => {
  const user = one(final, 'USER')
  t.match(user, /^[1-9]\d*(:[1-9]\d*)?$/, 'a numeric non-root user (runAsNonRoot can verify it)')
  t.notOk(all(final, 'VOLUME').length > 0, 'no VOLUME: the temp dir is mounted by the platform')
  t.match(all(final, 'ENV').join(' '), /TMPDIR=\/tmp/)
  const entrypoint = JSON.parse(one(final, 'ENTRYPOINT')) as string[]
  t.same(entrypoint, ['/usr/bin/tini', '--', 'node', 'src/main.ts'], 'tini, then node itself (not npm, which would swallow SIGTERM)')
  t.ok(all(final, 'RUN').some((run) => /apt-get install .*\btini\b/.test(run)), 'tini is installed')
  t.match(all(final, 'ENV').join(' '), /SIMULATORS=off/, 'the simulators stay off unless asked for')
})

t.test('EXPOSE, HEALTHCHECK and OCI labels', async (t) => {
  const port = /PORT=(\d+)/.exec(all(final, 'ENV').join(' '))?.[1]
  t.equal(one(final, 'EXPOSE'), port, 'EXPOSE is the PORT the gateway listens on')
  const healthcheck = one(final, 'HEALTHCHECK')
  t.match(healthcheck, /CMD \["node", "-e", ".*\/health\/live/, 'the healthcheck asks liveness with node (no curl in the image)')
  const labels = all(final, 'LABEL').join(' ')
  for (const key of ['title', 'description', 'licenses', 'version', 'revision', 'created', 'source']) {
    t.match(labels, new RegExp(`org\\.opencontainers\\.image\\.${key}=`), `label ${key}`)
  }
  t.match(labels, new RegExp(`org\\.opencontainers\\.image\\.licenses="${PACKAGE.license}"`), 'the licence of package.json')
})

/** Docker's .dockerignore semantics for the patterns used here: later lines win, `!` re-includes. */
function ignored (patterns: string[], path: string): boolean {
  let result = false
  for (const raw of patterns) {
    const negate = raw.startsWith('!')
    const pattern = (negate ? raw.slice(1) : raw).replace(/\/$/, '')
    const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}(/.*)?$`)
    if (regex.test(path)) result = !negate
  }
  return result
}

t.test('.dockerignore sends the builder only what the image copies', async (t) => {
  const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'))
  for (const path of ['.git/config', 'node_modules/fastify/package.json', 'test/app/shutdown.test.ts', 'helm/leocarte-gateway/values.yaml', '.env', 'secrets/sgc-hmac', 'README.md']) {
    t.ok(ignored(patterns, path), `${path} stays out`)
  }
  for (const path of ['package.json', 'package-lock.json', 'src/main.ts', 'wsdl/izly-card-service.wsdl', 'openapi/gateway.yaml']) {
    t.notOk(ignored(patterns, path), `${path} goes in`)
  }
})

function sourceFiles (dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : []
  })
}

t.test('outside the demo and the simulators, the source writes no file (read-only root file system)', async (t) => {
  const demoOnly = /^src\/(simulators\/|app\/demo\.ts$|app\/local-redis\.ts$)/
  const writers = /\b(writeFileSync|writeFile|appendFile\w*|mkdtemp\w*|mkdir\w*|createWriteStream|rmSync|unlink\w*|rename\w*)\s*\(/
  const offenders = sourceFiles(join(ROOT, 'src'))
    .map((path) => relative(ROOT, path))
    .filter((path) => !demoOnly.test(path) && writers.test(readFileSync(join(ROOT, path), 'utf8')))
  t.same(offenders, [], 'no file-system writes on the production path')
})

t.test('a production start loads neither the simulators nor their dependencies; the demo does', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'leocarte-modules-'))
  const preload = ['--import', fileURLToPath(new URL('../fixtures/record-modules.ts', import.meta.url))]
  const loaded = async (env: Record<string, string>, file: string): Promise<string[]> => {
    const gateway = await startChildGateway(t, { ...env, MODULES_FILE: join(dir, file) }, { nodeArgs: preload })
    gateway.process.kill('SIGTERM')
    t.match(await gateway.exited, { code: 0 })
    return readFileSync(join(dir, file), 'utf8').split('\n')
  }
  const simulatorModules = (urls: string[]): string[] => urls.filter((url) => /\/src\/simulators\/|\/node_modules\/openapi-backend\//.test(url))

  const production = await loaded(testEnv({ izlyEndpoint: 'http://127.0.0.1:9/izly', prefix: uniquePrefix(), role: 'all' }), 'production.txt')
  t.ok(production.some((url) => url.endsWith('/src/app/gateway.ts')), 'the recording works')
  t.same(simulatorModules(production), [], 'no simulator module, no openapi-backend')

  const demo = await loaded({ ...testEnv({ izlyEndpoint: 'http://127.0.0.1:9/izly', prefix: uniquePrefix(), role: 'all' }), SIMULATORS: 'on' }, 'demo.txt')
  t.ok(simulatorModules(demo).length > 0, 'the demo loads them')
})

t.test('compose.yaml: the gateway with a Redis set up for the guarantee, secrets as files', async (t) => {
  const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8')) as { services: Record<string, any> }
  const { gateway, redis } = compose.services
  const known = recognisedVariables()
  for (const name of Object.keys(gateway.environment as object)) t.ok(isRecognised(name, known), `${name} is read by the gateway`)
  for (const [name, value] of Object.entries(gateway.environment as Record<string, string>)) {
    if (/PASSWORD|SECRETS|TOKENS|KEYS|USERS/.test(name)) t.match({ name, value }, { name: /_FILE$/, value: /^\/run\/secrets\// }, `${name} comes from a file`)
  }
  t.equal(gateway.read_only, true, 'read-only root file system')
  t.same(gateway.tmpfs, ['/tmp'])
  t.equal(gateway.stop_grace_period, `${Number(gateway.environment.SHUTDOWN_TIMEOUT_MS) / 1000 + 5}s`, 'the grace period follows SHUTDOWN_TIMEOUT_MS')
  t.same(gateway.depends_on, { redis: { condition: 'service_healthy' } })
  const command = (redis.command as string[]).join(' ')
  t.match(command, /--appendonly yes/)
  t.match(command, /--maxmemory-policy noeviction/)
  t.ok(redis.volumes.length > 0, 'Redis keeps its AOF on a volume')
})
