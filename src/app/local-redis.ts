import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Whether something accepts TCP connections at host:port within `timeoutMs`. */
export async function isListening (host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = createConnection({ host, port })
    const done = (answer: boolean): void => { socket.destroy(); resolve(answer) }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

export interface LocalRedis {
  url: string
  port: number
  dir: string
  process: ChildProcess
  /** Stops the server (SIGTERM, or SIGKILL to simulate a crash); keeps the data folder unless told. */
  stop (signal?: NodeJS.Signals, removeData?: boolean): Promise<void>
}

export function redisServerInstalled (): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
}

/**
 * A private redis-server with AOF on, in a temporary folder: for the demo when no Redis answers,
 * and for the tests that restart Redis. `dir` may be given to restart on the same data.
 */
export async function startLocalRedis (options: { port?: number, dir?: string, extraArgs?: readonly string[] } = {}): Promise<LocalRedis> {
  const port = options.port ?? await freePort()
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'leocarte-redis-'))
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction',
    // Tests give other settings (a later option wins), e.g. a Redis set up wrong for the policy check.
    ...(options.extraArgs ?? []),
  ], { stdio: 'ignore' })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const deadline = Date.now() + 10_000
  while (!await isListening('127.0.0.1', port, 200)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    process: child,
    async stop (signal = 'SIGTERM', removeData = false) {
      if (child.exitCode === null) child.kill(signal)
      await exited
      if (removeData) rmSync(dir, { recursive: true, force: true })
    },
  }
}
