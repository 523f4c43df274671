import { pino, type Logger } from 'pino'

/**
 * Personal data (names, e-mails, birth dates, INE) must never reach a log line. The code logs ids only;
 * these paths are the safety net for an object logged by mistake.
 */
export const REDACTED_PATHS = [
  'holder', '*.holder', 'rightHolder', '*.rightHolder',
  'firstName', 'lastName', 'email', 'birthDate', 'ine',
  '*.firstName', '*.lastName', '*.email', '*.birthDate', '*.ine',
  'req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["x-signature"]',
]

export function createLogger (level: string): Logger {
  return pino({
    level,
    base: { service: 'leocarte-gateway' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  })
}
