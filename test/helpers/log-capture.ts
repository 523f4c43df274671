import { Writable } from 'node:stream'
import { type Logger, pino } from 'pino'
import { REDACTED_PATHS } from '../../src/observability/logger.ts'

export interface CapturedLog {
  logger: Logger
  /** Every line logged so far, parsed. */
  lines: () => Array<Record<string, unknown>>
}

/** A pino logger like the gateway's (same redaction) whose lines the test can read. */
export function captureLog (level = 'info'): CapturedLog {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(String(chunk)); done() } })
  const logger = pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, stream)
  return { logger, lines: () => lines.flatMap((line) => line.split('\n').filter((text) => text !== '').map((text) => JSON.parse(text) as Record<string, unknown>)) }
}
