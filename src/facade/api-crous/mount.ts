import type { FastifyPluginAsync } from 'fastify'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Config } from '../../config/config.ts'
import type { IzlyPort } from '../../downstream/izly/port.ts'
import type { IntakeService } from '../../intake/intake-service.ts'
import type { Registry } from '../../registry/registry.ts'
import { apiCrousRoutes } from './routes.ts'
import { createApiCrousFacade } from './service.ts'
import { FacadeStore } from './store.ts'

export { API_CROUS_PREFIX } from './routes.ts'

/**
 * The API CROUS façade's plugin, composed from the gateway's parts (register it under API_CROUS_PREFIX);
 * undefined when SGC_CROUS_CLIENTS names no client. `izly` is the process's Izly port (the real CROUS).
 */
export function apiCrousFacadePlugin (options: { config: Config, redis: Redis, registry: Registry, intake: IntakeService, izly: IzlyPort | undefined, logger: Logger }): FastifyPluginAsync | undefined {
  const { config } = options
  const settings = config.apiCrousFacade
  if (settings.clients.length === 0) return undefined
  const store = new FacadeStore({ redis: options.redis, prefix: config.queue.prefix, pseudonymKey: config.pseudonymKey, deadlineMs: config.redisRequestTimeoutMs, tokenTtlSeconds: settings.tokenTtlSeconds })
  const facade = createApiCrousFacade({
    registry: options.registry,
    intake: options.intake,
    store,
    izly: options.izly,
    timeZone: settings.timeZone,
    readDeadlineMs: settings.readDeadlineMs,
    redisDeadlineMs: config.redisRequestTimeoutMs,
    logger: options.logger.child({ component: 'api-crous-facade' }),
  })
  return apiCrousRoutes({ facade, store, clients: settings.clients, timeZone: settings.timeZone, bodyLimitBytes: settings.bodyLimitBytes })
}
