import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'

export const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url))

export interface LogLine {
  level: number
  msg: string
  [field: string]: unknown
}

export interface ChildGateway {
  readonly process: ChildProcess
  /** Where it listens (from its 'gateway started' log line). */
  readonly url: string
  /** Every JSON log line it printed so far. */
  readonly lines: LogLine[]
  /** Everything it printed to stderr. */
  stderr (): string
  /** Resolves with the first log line (already printed or to come) whose msg matches. */
  waitForLog (msg: RegExp, timeoutMs?: number): Promise<LogLine>
  /** Exit code and signal, once it has exited. */
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

/**
 * `node src/main.ts` as its own OS process with `env` (on top of this process's), logging at info so its
 * log lines can be read; resolves once it says it started. Killed with SIGKILL on teardown if still running.
 */
export async function startChildGateway (t: Test | undefined, env: Record<string, string>, options: { nodeArgs?: string[], startTimeoutMs?: number } = {}): Promise<ChildGateway> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), MAIN], {
    // At info whatever testEnv says: the log lines are how the test follows the process.
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: LogLine[] = []
  const waiters: Array<{ msg: RegExp, resolve: (line: LogLine) => void }> = []
  let stderr = ''
  let partial = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    partial += chunk.toString()
    const complete = partial.split('\n')
    partial = complete.pop() ?? ''
    for (const text of complete) {
      if (!text.startsWith('{')) continue
      const line = JSON.parse(text) as LogLine
      lines.push(line)
      for (const waiter of waiters.filter(({ msg }) => msg.test(line.msg))) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve(line)
      }
    }
  })
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  t?.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })

  const waitForLog = async (msg: RegExp, timeoutMs = 20_000): Promise<LogLine> => {
    const seen = lines.find((line) => msg.test(line.msg))
    if (seen !== undefined) return seen
    return await new Promise<LogLine>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no log line matching ${String(msg)} within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs)
      const gone = (): void => { clearTimeout(timer); reject(new Error(`the gateway exited before logging ${String(msg)}; stderr: ${stderr}`)) }
      void exited.then(gone)
      waiters.push({ msg, resolve: (line) => { clearTimeout(timer); resolve(line) } })
    })
  }
  const started = await waitForLog(/^gateway started$/, options.startTimeoutMs ?? 30_000)
  return { process: child, url: started.url as string, lines, stderr: () => stderr, waitForLog, exited }
}
