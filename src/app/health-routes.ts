import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import { REGISTRY_RETRY_AFTER_SECONDS } from '../intake/intake-service.ts'
import { createProblem, sendProblem } from '../intake/problem.ts'

/** Liveness never depends on Redis (an outage must not restart every pod); readiness does. */
export async function healthRoutes (app: FastifyInstance, options: { redis: Redis, isDraining?: () => boolean }): Promise<void> {
  app.get('/health/live', async () => ({ status: 'ok' }))
  app.get('/health/ready', async (_request, reply) => {
    if (options.isDraining?.() === true) {
      // Shutting down: out of the load balancer first, while requests in flight (and a few more) are served.
      return sendProblem(reply.header('Retry-After', String(REGISTRY_RETRY_AFTER_SECONDS)), createProblem({ status: 503, code: 'shutting-down', detail: 'the gateway is shutting down' }))
    }
    try {
      await options.redis.ping()
      return { status: 'ok', redis: 'ok' }
    } catch {
      return sendProblem(reply.header('Retry-After', String(REGISTRY_RETRY_AFTER_SECONDS)), createProblem({ status: 503, code: 'not-ready', detail: 'Redis is not reachable' }))
    }
  })
}
