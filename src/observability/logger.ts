import { type DestinationStream, pino, type Logger } from 'pino'

/**
 * Personal data (names, e-mails, birth dates, INE, ESI) must never reach a log line. The code logs ids
 * only; these paths are the safety net for an object logged by mistake.
 */
export const REDACTED_PATHS = [
  'holder', '*.holder', 'rightHolder', '*.rightHolder', 'person', '*.person',
  'firstName', 'lastName', 'fullName', 'email', 'birthDate', 'ine', 'esi', 'personIdentifier',
  '*.firstName', '*.lastName', '*.fullName', '*.email', '*.birthDate', '*.ine', '*.esi', '*.personIdentifier',
  'req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["x-signature"]',
  // ioredis puts a failed command's arguments on its error: the intake script's carry the whole record.
  'err.command.args',
]

/** The gateway's logger, to stdout; a test passes its own `destination` to read every line. */
export function createLogger (level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'leocarte-gateway' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  }
  return destination === undefined ? pino(options) : pino(options, destination)
}
