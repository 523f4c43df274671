import { ConfigError, loadConfig } from './config/load.ts'
import type { Config } from './config/config.ts'
import type { Demo } from './app/demo.ts'
import { startGateway } from './app/gateway.ts'
import { handleShutdown } from './app/shutdown.ts'
import { createLogger } from './observability/logger.ts'
import { RedisPolicyError } from './registry/redis-policy.ts'

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

  // The simulators and their dependencies load only when asked for: a production process never has them.
  let demo: Demo | null | undefined
  if (config.simulators) demo = await (await import('./app/demo.ts')).startDemo(config, logger)
  if (demo === null) process.exit(1)
  const effective = demo?.config ?? config
  const refused = async (error: RedisPolicyError): Promise<never> => {
    process.stderr.write(`leocarte-gateway: ${error.message}\n`)
    try {
      await demo?.close()
    } finally {
      process.exit(1)
    }
  }
  let gateway
  try {
    gateway = await startGateway({
      config: effective,
      logger,
      // Redis answered only after the start, and is not fit for production: the same line, the same exit.
      onRedisRefused: (error) => { void refused(error) },
      ...(demo !== undefined ? { izlyEndpoint: demo.izlyEndpoint, escEndpoint: demo.escEndpoint } : {}),
      // Foreign-card lookups of the validity service ask the ESC simulator's public status too, unless configured.
      ...(demo !== undefined && effective.validity.routerStatusUrl === undefined ? { routerStatusUrl: demo.escEndpoint.url } : {}),
    })
  } catch (error) {
    if (error instanceof RedisPolicyError) await refused(error)
    throw error
  }
  logger.info({ url: gateway.url, role: config.role }, 'gateway started')
  demo?.announce(gateway.url)

  handleShutdown({ config: effective.shutdown, logger, stop: gateway, ...(demo !== undefined ? { after: async () => await demo.close() } : {}) })
}

await main()
