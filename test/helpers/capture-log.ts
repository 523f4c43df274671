import { Writable } from 'node:stream'
import type { Logger } from 'pino'
import { createLogger } from '../../src/observability/logger.ts'

/** One parsed log line. */
export type LogLine = Record<string, unknown> & { level: number, msg?: string }

/** The gateway's own logger (same redaction), writing into memory: every line a test can read back. */
export function captureLogger (level = 'trace'): { logger: Logger, lines: LogLine[], text: () => string } {
  const raw: string[] = []
  const lines: LogLine[] = []
  const destination = new Writable({
    write (chunk, _encoding, done) {
      const text = String(chunk)
      raw.push(text)
      for (const line of text.split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as LogLine)
      done()
    },
  })
  return { logger: createLogger(level, destination), lines, text: () => raw.join('') }
}

/** pino's numeric levels. */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const
