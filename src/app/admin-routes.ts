import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { DownstreamName } from '../domain/downstream.ts'
import { createProblem, sendProblem } from '../intake/problem.ts'
import { replayAttention, replayAttentionByCode } from '../queue/replay.ts'
import type { SyncQueues } from '../queue/sync-queues.ts'
import type { Registry } from '../registry/registry.ts'
import type { AdminToken } from '../config/admin-tokens.ts'
import { audit, operatorName, setOperator } from './admin/audit.ts'
import { cardView } from './admin/card-view.ts'
import { bearerToken, operatorOf } from './admin/operator.ts'
import { workQueueRoutes } from './admin/work-queue-routes.ts'

export interface AdminRoutesOptions {
  registry: Registry
  queues: SyncQueues
  downstreams: readonly DownstreamName[]
  /** ADMIN_TOKENS: each token and the operator it names. */
  tokens: readonly AdminToken[]
  /** The zone the card summaries write times in (VALIDITY_TIME_ZONE). */
  timeZone: string
}

/**
 * The operators' API (bearer token, one of ADMIN_TOKENS, which names the operator): a card's desired
 * state, its per-downstream sync status and summary, and its timeline; the "needs attention" work queue
 * (admin/work-queue-routes.ts). No tokens configured means the API is closed.
 */
export async function adminRoutes (app: FastifyInstance, options: AdminRoutesOptions): Promise<void> {
  const { registry, queues, downstreams, tokens, timeZone } = options

  // A query string may hold an eppn (GET /cards?eppn=): the request log lines of every admin route
  // carry the path alone.
  app.addHook('onRoute', (route) => {
    route.logSerializers = { ...route.logSerializers, req: (req: FastifyRequest) => ({ method: req.method, url: req.url.split('?')[0], remoteAddress: req.ip }) }
  })

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const token = bearerToken(request.headers.authorization)
    const operator = operatorOf(tokens, token)
    if (operator === undefined) {
      // Never the token itself; a failed attempt is worth a warning (a stale script, or someone guessing).
      request.log.warn({ audit: true, action: 'refused', reason: token === undefined ? 'no bearer token' : 'unknown token' }, 'admin request refused')
      return sendProblem(reply.header('WWW-Authenticate', 'Bearer'), createProblem({
        status: 401, code: 'admin-unauthorized', detail: tokens.length === 0 ? 'the admin API is disabled (ADMIN_TOKENS is empty)' : 'a valid bearer token is required',
      }))
    }
    setOperator(request, operator)
  })

  app.get<{ Params: { cardId: string } }>('/cards/:cardId', async (request, reply) => {
    const { cardId } = request.params
    const record = await registry.getCard(cardId)
    if (record === undefined) return sendProblem(reply, createProblem({ status: 404, code: 'unknown-card', detail: `no card ${cardId}` }))
    return await cardView(registry, downstreams, record, { nowMs: Date.now(), timeZone })
  })

  app.get<{ Params: { cardId: string }, Querystring: { limit?: string } }>('/cards/:cardId/timeline', async (request, reply) => {
    const { cardId } = request.params
    const asked = Number(request.query.limit ?? 1000)
    const limit = Number.isFinite(asked) ? Math.min(Math.max(Math.trunc(asked), 1), 1000) : 1000
    const entries = await registry.getTimeline(cardId, limit)
    if (entries.length === 0) return sendProblem(reply, createProblem({ status: 404, code: 'unknown-card', detail: `no history for card ${cardId}` }))
    return { cardId, entries }
  })

  // GET /attention (filtered, paged), POST /attention/replay, dismissal, re-sync, find by identifier, overview.
  await app.register(workQueueRoutes, { registry, queues, downstreams, timeZone })

  // Every entry of one downstream and fault code at once: after a credential is renewed, hundreds wait on it.
  app.post<{ Params: { downstream: string }, Querystring: { code?: string } }>('/attention/:downstream/replay', async (request, reply) => {
    const { downstream } = request.params
    const { code } = request.query
    if (!isDownstream(downstream)) return unknownDownstream(reply)
    if (typeof code !== 'string' || code === '') return sendProblem(reply, createProblem({ status: 400, code: 'code-required', detail: 'say which fault code to replay: ?code=HTTP_401 (GET /admin/v1/attention lists them)' }))
    const replayed = await replayAttentionByCode(registry, queues, downstream, code, operatorName(request))
    audit(request, 'replay-code', { downstream, code, replayed })
    return reply.code(202).send({ downstream, code, replayed })
  })

  app.post<{ Params: { downstream: string, cardId: string } }>('/attention/:downstream/:cardId/replay', async (request, reply) => {
    const { downstream, cardId } = request.params
    if (!isDownstream(downstream)) return unknownDownstream(reply)
    const outcome = await replayAttention(registry, queues, downstream, cardId, operatorName(request))
    if (outcome === 'unknown-card') return sendProblem(reply, createProblem({ status: 404, code: 'unknown-card', detail: `no card ${cardId}` }))
    if (outcome === 'not-waiting') return sendProblem(reply, createProblem({ status: 409, code: 'not-waiting', detail: `card ${cardId} has no ${downstream} work waiting for attention` }))
    audit(request, 'replay', { downstream, cardId })
    return reply.code(202).send({ cardId, downstream, status: outcome })
  })

  app.get('/queues', async () => ({ queues: await queues.jobCounts() }))

  function isDownstream (name: string): name is DownstreamName {
    return (downstreams as readonly string[]).includes(name)
  }

  function unknownDownstream (reply: FastifyReply): FastifyReply {
    return sendProblem(reply, createProblem({ status: 404, code: 'unknown-downstream', detail: `downstream must be one of ${downstreams.join(', ')}` }))
  }
}
