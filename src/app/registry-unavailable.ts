import type { FastifyReply, FastifyRequest } from 'fastify'
import { REGISTRY_RETRY_AFTER_SECONDS, RegistryUnavailableError } from '../intake/intake-service.ts'
import { createProblem, sendProblem } from '../intake/problem.ts'
import { isRedisUnavailable } from '../registry/unavailable.ts'

/** Whether an error that reached a route's error handler is Redis being unavailable (not a bug). */
export function isRegistryUnavailable (error: unknown): boolean {
  return error instanceof RegistryUnavailableError || isRedisUnavailable(error)
}

/** The 503 every route answers when Redis cannot serve: Retry-After, nothing half-written. */
export function sendRegistryUnavailable (request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  request.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'Redis unavailable: answered 503')
  return sendProblem(reply.header('retry-after', String(REGISTRY_RETRY_AFTER_SECONDS)), createProblem({
    status: 503,
    code: 'registry-unavailable',
    detail: 'the card registry (Redis) cannot be reached now; nothing was changed, retry after Retry-After seconds',
  }))
}
