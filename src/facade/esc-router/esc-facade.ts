import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { Config } from '../../config/config.ts'
import type { IntakeService } from '../../intake/intake-service.ts'
import type { Registry } from '../../registry/registry.ts'
import { todayIn } from '../../validity/check-validity.ts'
import { createPersonStore } from './person-store.ts'
import { createRouterReads, type RouterReads } from './router-reads.ts'
import { ESC_FACADE_BASE, escFacadeRoutes } from './routes.ts'

export { ESC_FACADE_BASE }

export interface EscFacade {
  register (app: FastifyInstance): Promise<void>
  close (): Promise<void>
}

export interface EscFacadeOptions {
  config: Config
  /** The intake that wakes the lanes (queue/wake-on-accept.ts): façade work goes where SGC events go. */
  intake: IntakeService
  registry: Registry
  /** The request-path connection (bounded commands: an unreachable Redis is a 503). */
  redis: Redis
  /** The router the gateway syncs with; undefined: no ESC downstream. */
  router: { url: string, token: string } | undefined
}

/** The ESC Router façade for ESUP-SGC (SPEC §11), built once per API process. */
export function createEscFacade (options: EscFacadeOptions): EscFacade {
  const { config } = options
  const router: RouterReads = createRouterReads({ baseUrl: options.router?.url, token: options.router?.token, deadlineMs: config.facadeReadDeadlineMs })
  const routes = escFacadeRoutes({
    keys: config.escFacade.keys,
    intake: options.intake,
    registry: options.registry,
    persons: createPersonStore(options.redis, config.queue.prefix, config.pseudonymKey),
    router,
    routerConfigured: options.router !== undefined,
    today: () => todayIn(config.validity.timeZone, Date.now()),
  })
  return {
    async register (app) {
      await app.register(routes, { prefix: ESC_FACADE_BASE })
    },
    async close () {
      await router.close()
    },
  }
}
