import closeWithGrace from 'close-with-grace'
import { ConfigError, loadConfig } from './config/load.ts'
import type { Config } from './config/config.ts'
import { startDemo } from './app/demo.ts'
import { startGateway } from './app/gateway.ts'
import { createLogger } from './observability/logger.ts'

/** Entry point: configuration, then the API, the workers or both; SIGTERM drains cleanly. */
async function main (): Promise<void> {
  let config: Config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`leocarte-gateway: configuration error: ${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
  const logger = createLogger(config.logLevel)

  const demo = config.simulators ? await startDemo(config, logger) : undefined
  if (demo === null) process.exit(1)
  const effective = demo?.config ?? config
  const gateway = await startGateway({
    config: effective,
    logger,
    ...(demo !== undefined ? { izlyEndpoint: demo.izlyEndpoint, escEndpoint: demo.escEndpoint } : {}),
    // Foreign-card lookups of the validity service ask the ESC simulator's public status too, unless configured.
    ...(demo !== undefined && effective.validity.routerStatusUrl === undefined ? { routerStatusUrl: demo.escEndpoint.url } : {}),
  })
  if (demo !== undefined) demo.announce(gateway.url)
  else logger.info({ url: gateway.url, role: config.role }, 'gateway started')

  closeWithGrace({ delay: effective.queue.lockMs + 5_000, logger }, async ({ signal, err }) => {
    if (err !== undefined) logger.error({ err }, 'stopping after an unexpected error')
    else logger.info({ signal }, 'draining before exit')
    await gateway.close()
    await demo?.close()
  })
}

await main()
