import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { freePort, isListening, type LocalRedis, startLocalRedis } from '../../src/app/local-redis.ts'

/**
 * A private redis-server (AOF on, noeviction unless `args` say otherwise), on `port` or a free one, stopped
 * and removed on teardown (resumed first, should the test have left it SIGSTOPped).
 */
export async function privateRedis (t: Test, args: readonly string[] = [], options: { port?: number } = {}): Promise<LocalRedis> {
  const redis = await startLocalRedis({ extraArgs: args, ...(options.port === undefined ? {} : { port: options.port }) })
  t.teardown(async () => {
    redis.process.kill('SIGCONT')
    await redis.stop('SIGKILL', true)
  })
  return redis
}

export interface Sentinel {
  port: number
  stop (): Promise<void>
}

/**
 * A Redis Sentinel (`redis-server <conf> --sentinel`) on a free port, monitoring `primaryPort` under
 * `name` with a quorum of one, failing over fast; stopped on teardown.
 */
export async function privateSentinel (t: Test, options: { primaryPort: number, name: string, primaryPassword?: string, password?: string }): Promise<Sentinel> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'leocarte-sentinel-'))
  const conf = join(dir, 'sentinel.conf')
  writeFileSync(conf, [
    `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`,
    `sentinel monitor ${options.name} 127.0.0.1 ${options.primaryPort} 1`,
    `sentinel down-after-milliseconds ${options.name} 1000`,
    `sentinel failover-timeout ${options.name} 5000`,
    ...(options.primaryPassword !== undefined ? [`sentinel auth-pass ${options.name} ${options.primaryPassword}`] : []),
    ...(options.password !== undefined ? [`requirepass ${options.password}`] : []),
    '',
  ].join('\n'))
  const child = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const deadline = Date.now() + 10_000
  while (!await isListening('127.0.0.1', port, 200)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis sentinel did not start on port ${port}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGKILL')
    await exited
    rmSync(dir, { recursive: true, force: true })
  }
  t.teardown(stop)
  return { port, stop }
}

export interface TlsFiles {
  dir: string
  ca: string
  cert: string
  key: string
}

/** Whether openssl and a redis-server built with TLS are at hand. */
export function tlsAvailable (): boolean {
  if (spawnSync('openssl', ['version'], { stdio: 'ignore' }).status !== 0) return false
  // A build with TLS accepts tls-port and then finds nothing to listen on; one without calls it a bad directive.
  const probe = spawnSync('redis-server', ['--port', '0', '--tls-port', '0'], { encoding: 'utf8', timeout: 10_000 })
  return /not listen anywhere/i.test(`${probe.stdout}${probe.stderr}`)
}

/** A throw-away CA and a server certificate for 127.0.0.1 and localhost, made with openssl. */
export function makeTlsFiles (t: Test): TlsFiles {
  const dir = mkdtempSync(join(tmpdir(), 'leocarte-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const files = { dir, ca: join(dir, 'ca.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') }
  const run = (...args: string[]): void => {
    const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' })
    if (result.status !== 0) throw new Error(`openssl ${args[0] ?? ''} failed: ${result.stderr}`)
  }
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Leocarte test CA')
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost')
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf')
  return files
}
