import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { pseudonymiser } from '../domain/pseudonym.ts'
import { createProblem, sendProblem } from '../intake/problem.ts'
import type { HolderErasureResult } from '../retention/holder-erasure.ts'
import { operatorName } from './admin/audit.ts'

export interface AdminErasureRoutesOptions {
  erasure: { erase (eppn: string): Promise<HolderErasureResult> }
  /** PSEUDONYM_KEY: the audit line names the holder by a keyed hash of its own purpose, never the eppn. */
  pseudonymKey: string
  /** Where the audit line goes: the route's own request logger is held at `warn` (its URL holds the eppn). */
  logger: Logger
}

/** How long a caller refused for pending work should wait before asking again. */
const PENDING_RETRY_AFTER_SECONDS = 30

/**
 * `DELETE /admin/v1/holders/{eppn}`: erases a holder's personal data (retention/holder-erasure.ts says
 * when it is refused). Registered inside the admin API (admin-routes.ts), behind its named-token check.
 */
export async function adminErasureRoutes (app: FastifyInstance, options: AdminErasureRoutesOptions): Promise<void> {
  const { erasure } = options
  const erasureRef = pseudonymiser(options.pseudonymKey, 'erasure-ref', 16)

  // logLevel warn: Fastify's "incoming request" and "request completed" lines carry the URL, so the eppn.
  app.delete<{ Params: { eppn: string } }>('/holders/:eppn', { logLevel: 'warn' }, async (request, reply) => {
    const { eppn } = request.params
    if (eppn.trim() === '' || eppn.length > 255) return sendProblem(reply, createProblem({ status: 400, code: 'bad-eppn', detail: 'the eppn must be 1 to 255 characters' }))
    const holderRef = erasureRef(eppn)
    const result = await erasure.erase(eppn)
    if (result.status === 'unknown-holder') {
      options.logger.info({ audit: 'holder-erasure', holderRef, outcome: 'unknown-holder', operator: operatorName(request), reqId: request.id }, 'holder erasure: nothing held')
      return sendProblem(reply, createProblem({ status: 404, code: 'unknown-holder', detail: 'the gateway holds no card of this holder (never known, or erased already)' }))
    }
    if (result.status === 'refused') {
      options.logger.info({ audit: 'holder-erasure', holderRef, outcome: `refused-${result.why}`, cardIds: result.obstacles.map((obstacle) => obstacle.cardId), operator: operatorName(request), reqId: request.id }, 'holder erasure refused')
      if (result.why === 'pending') reply.header('Retry-After', String(PENDING_RETRY_AFTER_SECONDS))
      const problem = createProblem({
        status: 409,
        code: result.why === 'active' ? 'holder-has-active-cards' : 'holder-work-pending',
        detail: result.obstacles.map((obstacle) => obstacle.reason).join('; '),
      })
      return sendProblem(reply, { ...problem, obstacles: result.obstacles } as typeof problem)
    }
    options.logger.info({ audit: 'holder-erasure', holderRef, outcome: 'erased', cardIds: result.cardIds, operator: operatorName(request), reqId: request.id }, 'holder erased')
    return { erased: true, cardIds: result.cardIds }
  })
}
