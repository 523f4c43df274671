// Redis for production: the start-up check of the eviction policy and AOF (refuse or warn), Sentinel
// with passwords from files (through a real failover), and TLS with a private CA. Every server here is
// a private one on a free port; the shared test Redis is never reconfigured.
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import t from 'tap'
import { startGateway } from '../../src/app/gateway.ts'
import { loadConfig } from '../../src/config/load.ts'
import { createRedis } from '../../src/registry/redis.ts'
import { RedisPolicyError } from '../../src/registry/redis-policy.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { MAIN } from '../helpers/child-gateway.ts'
import { startTestGateway, testEnv } from '../helpers/gateway.ts'
import { izlyCard, seedCard, testIzly } from '../helpers/izly.ts'
import { makeTlsFiles, privateRedis, privateSentinel, tlsAvailable } from '../helpers/private-redis.ts'
import { uniquePrefix } from '../helpers/redis.ts'
import { waitFor } from '../helpers/wait.ts'

const UNUSED_IZLY = 'http://127.0.0.1:9/izly'
const WRONG = ['--appendonly', 'no', '--maxmemory-policy', 'allkeys-lru']

/** A pino logger whose lines land in `lines`. */
function capturingLogger (): { logger: pino.Logger, lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done() } })
  return { logger: pino({ level: 'info' }, stream), lines }
}

async function runMain (env: Record<string, string>): Promise<{ code: number | null, stderr: string }> {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)))
  return { code, stderr }
}

t.test('a Redis that evicts keys and has AOF off: the gateway refuses to start, saying why', async (t) => {
  const redis = await privateRedis(t, WRONG)
  const env = testEnv({ izlyEndpoint: UNUSED_IZLY, prefix: uniquePrefix(), role: 'worker', redisUrl: redis.url })
  delete env.REDIS_POLICY_CHECK // the production default
  const { code, stderr } = await runMain(env)
  t.equal(code, 1, 'exit code 1')
  t.match(stderr, /^leocarte-gateway: Redis is not set up for production: maxmemory-policy is allkeys-lru, must be noeviction .*; appendonly is no, must be yes .*REDIS_POLICY_CHECK=warn/m)
  t.equal(stderr.trim().split('\n').length, 1, 'one line')
})

t.test('REDIS_POLICY_CHECK=warn starts anyway, with a warning naming each problem', async (t) => {
  const redis = await privateRedis(t, WRONG)
  const { logger, lines } = capturingLogger()
  const config = loadConfig(testEnv({ izlyEndpoint: UNUSED_IZLY, prefix: uniquePrefix(), role: 'api', redisUrl: redis.url }))
  t.equal(config.redis.policyCheck, 'warn')
  const gateway = await startGateway({ config, logger, listen: false })
  t.teardown(async () => await gateway.close())
  const warning = lines.find((line) => /not set up for production/.test(String(line.msg)))
  t.match(warning, { level: 40, problems: [/maxmemory-policy is allkeys-lru/, /appendonly is no/] })
  t.equal((await gateway.app.inject('/health/ready')).statusCode, 200)
})

t.test('a Redis set up right (noeviction, AOF on) passes the check in refuse mode', async (t) => {
  const redis = await privateRedis(t)
  const { logger, lines } = capturingLogger()
  const config = loadConfig({ ...testEnv({ izlyEndpoint: UNUSED_IZLY, prefix: uniquePrefix(), role: 'api', redisUrl: redis.url }), REDIS_POLICY_CHECK: 'refuse' })
  const gateway = await startGateway({ config, logger, listen: false })
  t.teardown(async () => await gateway.close())
  t.match(lines.find((line) => /Redis setup checked/.test(String(line.msg))), { maxmemoryPolicy: 'noeviction', aof: true })
})

t.test('a user not allowed INFO cannot be checked: refused, unless told to warn', async (t) => {
  const redis = await privateRedis(t)
  const admin = new Redis(redis.url)
  await admin.call('ACL', 'SETUSER', 'gateway', 'on', '>gateway-password-123', '~*', '&*', '+@all', '-info')
  admin.disconnect()
  const env = { ...testEnv({ izlyEndpoint: UNUSED_IZLY, prefix: uniquePrefix(), role: 'api', redisUrl: redis.url }), REDIS_USERNAME: 'gateway', REDIS_PASSWORD: 'gateway-password-123', REDIS_POLICY_CHECK: 'refuse' }
  const refused = await startGateway({ config: loadConfig(env), logger: pino({ level: 'silent' }), listen: false }).then(() => undefined, (error: unknown) => error)
  t.ok(refused instanceof RedisPolicyError, 'refused')
  t.match(refused, { message: /INFO failed .*allow INFO/ })
  const gateway = await startGateway({ config: loadConfig({ ...env, REDIS_POLICY_CHECK: 'warn' }), logger: pino({ level: 'silent' }), listen: false })
  t.teardown(async () => await gateway.close())
  t.equal((await gateway.app.inject('/health/ready')).statusCode, 200, 'runs as that user')
})

t.test('Sentinel with passwords from files: the gateway follows a failover to the promoted replica, and checks it', async (t) => {
  const password = 'primary-password-0123456789'
  const sentinelPassword = 'sentinel-password-0123456789'
  const auth = ['--requirepass', password, '--masterauth', password]
  const primary = await privateRedis(t, auth)
  // A replica set up wrong (AOF off): the gateway says so once it is promoted.
  const replica = await privateRedis(t, [...auth, '--replicaof', '127.0.0.1', String(primary.port), '--appendonly', 'no'])
  const sentinel = await privateSentinel(t, { primaryPort: primary.port, name: 'leocarte', primaryPassword: password, password: sentinelPassword })
  const asSentinel = new Redis({ port: sentinel.port, password: sentinelPassword })
  t.teardown(() => asSentinel.disconnect())
  await waitFor('the sentinel to see the replica', async () => {
    const replicas = await asSentinel.call('SENTINEL', 'REPLICAS', 'leocarte') as string[][]
    return replicas.some((fields) => fields.includes(String(replica.port)))
  })
  writeFileSync(join(primary.dir, 'password'), `${password}\n`)
  writeFileSync(join(primary.dir, 'sentinel-password'), sentinelPassword)

  const izly = await testIzly(t)
  const { logger, lines } = capturingLogger()
  const gateway = await startTestGateway(t, {
    izlyEndpoint: izly.url,
    cleanup: false,
    logger,
    extra: {
      REDIS_SENTINELS: `127.0.0.1:${sentinel.port}`,
      REDIS_SENTINEL_NAME: 'leocarte',
      REDIS_PASSWORD_FILE: join(primary.dir, 'password'),
      REDIS_SENTINEL_PASSWORD_FILE: join(primary.dir, 'sentinel-password'),
      REDIS_POLICY_CHECK: 'refuse',
    },
  })
  const oppose = async (label: string): Promise<string> => {
    const enabled = cardEvent({ state: 'ENABLED' })
    seedCard(izly, enabled)
    // The SGC resends on 503, as intake answers while Redis fails over.
    await waitFor(`${label}: a 202`, async () => (await gateway.post(cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'LOST' }))).status === 202, 30_000, 200)
    await waitFor(`${label}: the opposition at Izly`, () => izlyCard(izly, enabled.card.crous?.idZdc as string)?.opposed === true, 30_000)
    return enabled.card.id
  }
  const before = await oppose('before the failover')
  // Replication is asynchronous: a failover keeps what the replica had received (see the README).
  const asPrimary = new Redis({ port: primary.port, password })
  t.teardown(() => asPrimary.disconnect())
  await waitFor('the replica to have every write', async () => {
    const info = await asPrimary.info('replication')
    const offset = Number(/^master_repl_offset:(\d+)/m.exec(info)?.[1])
    const replicaOffset = Number(/^slave0:.*state=online,offset=(\d+)/m.exec(info)?.[1])
    return replicaOffset >= offset
  })

  await asSentinel.call('SENTINEL', 'FAILOVER', 'leocarte')
  await waitFor('the replica to be promoted', async () => (await asSentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'leocarte') as string[])[1] === String(replica.port), 30_000, 100)
  const promoted = new Redis({ port: replica.port, password })
  t.teardown(() => promoted.disconnect())
  // Until the old primary is demoted it still takes writes that the failover then drops (README,
  // "Durability"): the gateway must have left it for the new one, every connection of it.
  // Its own connections (leocarte-…) and BullMQ's (named after the key prefix).
  const gatewayConnections = async (server: Redis): Promise<number> => (await server.call('CLIENT', 'LIST') as string).split('\n')
    .filter((line) => line.includes('name=leocarte-') || line.includes(`name=${gateway.prefix}:`)).length
  await waitFor('the gateway to move to the new primary', async () => await gatewayConnections(asPrimary) === 0 && await gatewayConnections(promoted) > 0, 30_000, 100)
  await oppose('after the failover')
  const view = await gateway.admin('GET', `/admin/v1/cards/${before}`)
  t.match(view, { status: 200, body: { desired: { state: 'DISABLED' } } }, 'the card opposed before the failover is on the new primary')
  t.match(await promoted.info('replication'), /role:master/, 'and that primary is the former replica')
  t.ok(lines.some((line) => /Redis setup checked/.test(String(line.msg))), 'the first primary passed the check at start')
  await waitFor('the check of the new primary', () => lines.find((line) => /after a reconnection/.test(String(line.msg))))
  t.match(lines.find((line) => /after a reconnection/.test(String(line.msg))), { level: 50, problems: [/appendonly is no/] }, 'its AOF being off is an error log line')
  // Closed here, while its Redis and sentinel still run (teardowns stop them).
  await gateway.close()
})

t.test('TLS (rediss://) with the CA from a file; without the CA the certificate is refused', { skip: tlsAvailable() ? false : 'openssl or a redis-server with TLS is missing' }, async (t) => {
  const tls = makeTlsFiles(t)
  const tlsPort = String(40_000 + Math.floor(Math.random() * 20_000))
  const redis = await privateRedis(t, ['--tls-port', tlsPort, '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-auth-clients', 'no'])
  const url = `rediss://127.0.0.1:${tlsPort}`

  const untrusted = createRedis({ url, tls: true }, 'intake')
  const refused = new Promise<Error>((resolve) => untrusted.once('error', resolve))
  untrusted.on('error', () => {})
  await t.rejects(untrusted.connect())
  t.match(await refused, { message: /certificate/ }, 'the system CAs do not vouch for it')
  untrusted.disconnect()

  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, redisUrl: url, cleanup: false, extra: { REDIS_TLS_CA_FILE: tls.ca, REDIS_POLICY_CHECK: 'refuse' } })
  t.equal(gateway.config.redis.tls, true)
  const enabled = cardEvent({ state: 'ENABLED' })
  seedCard(izly, enabled)
  t.equal((await gateway.post(cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'LOST' }))).status, 202)
  await waitFor('the opposition at Izly', () => izlyCard(izly, enabled.card.crous?.idZdc as string)?.opposed === true)
  const plain = new Redis(redis.url)
  t.teardown(() => plain.disconnect())
  const clients = await plain.call('CLIENT', 'LIST') as string
  const overTls = clients.split('\n').filter((line) => /name=leocarte-/.test(line) && line.includes(`laddr=127.0.0.1:${tlsPort} `))
  t.ok(overTls.length >= 2, 'the gateway\'s connections are on the TLS port')
  await gateway.close()
})
