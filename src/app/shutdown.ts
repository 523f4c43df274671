import closeWithGrace from 'close-with-grace'
import type { Logger } from 'pino'
import type { ShutdownConfig } from '../config/config.ts'

export interface Stoppable {
  beginDrain (): void
  close (options: { handBackAt: number }): Promise<void>
}

/**
 * SIGTERM/SIGINT and fatal errors, once: readiness fails at once, requests are still served for
 * SHUTDOWN_DELAY_MS (endpoints and load balancers take a moment to notice), then the listener closes,
 * requests in flight and running jobs finish (jobs still running a fifth of the deadline before it are
 * handed back to the queue), connections close, and the process exits 0. A shutdown still going at
 * SHUTDOWN_TIMEOUT_MS is cut short with a log line and exit code 1, as is any uncaught exception or
 * unhandled rejection (after the same orderly close). A second signal exits at once with code 1.
 */
export function handleShutdown (options: { config: ShutdownConfig, logger: Logger, stop: Stoppable, after?: () => Promise<void> }): void {
  const { config, logger, stop } = options
  closeWithGrace({
    delay: config.timeoutMs,
    logger: false,
    onTimeout: (delay) => logger.fatal({ timeoutMs: delay }, 'shutdown deadline passed (SHUTDOWN_TIMEOUT_MS): exiting with work unfinished; its jobs run again once their lock lapses'),
    onSecondSignal: (signal) => logger.error({ signal }, 'second signal during shutdown: exiting now'),
    onSecondError: (error) => logger.fatal({ err: error }, 'second fatal error during shutdown: exiting now'),
  }, async ({ signal, err }) => {
    const startedAt = Date.now()
    if (err !== undefined) logger.fatal({ err }, 'uncaught exception or unhandled rejection: shutting down, exit code 1')
    else logger.info({ signal, delayMs: config.delayMs, timeoutMs: config.timeoutMs }, 'shutting down: readiness fails from now on')
    try {
      stop.beginDrain()
      if (config.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.delayMs))
      logger.info('shutting down: listener closed, finishing requests and jobs in flight')
      await stop.close({ handBackAt: startedAt + config.timeoutMs - handBackMarginMs(config.timeoutMs) })
      await options.after?.()
    } catch (error) {
      logger.fatal({ err: error }, 'shutdown failed: exit code 1')
      throw error
    }
    logger.info({ ms: Date.now() - startedAt }, err === undefined ? 'shut down cleanly' : 'shut down after a fatal error')
  })
}

/** Time kept, before the deadline, for handing jobs back and closing connections. */
export function handBackMarginMs (timeoutMs: number): number {
  return Math.min(5_000, Math.floor(timeoutMs / 5))
}
