import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { DownstreamName } from '../domain/downstream.ts'
import { createProblem, sendProblem } from '../intake/problem.ts'
import { replayAttention, replayAttentionByCode } from '../queue/replay.ts'
import type { SyncQueues } from '../queue/sync-queues.ts'
import type { Registry } from '../registry/registry.ts'
import { matchesSecret } from './secret-match.ts'

export interface AdminRoutesOptions {
  registry: Registry
  queues: SyncQueues
  downstreams: readonly DownstreamName[]
  tokens: readonly string[]
}

/**
 * The operators' API (bearer token): a card's desired state, its per-downstream sync status and its
 * timeline; the "needs attention" list and its replay. No tokens configured means the API is closed.
 */
export async function adminRoutes (app: FastifyInstance, options: AdminRoutesOptions): Promise<void> {
  const { registry, queues, downstreams, tokens } = options

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization
    const token = header?.startsWith('Bearer ') === true ? header.slice(7).trim() : undefined
    if (!matchesSecret(tokens, token)) {
      return sendProblem(reply.header('WWW-Authenticate', 'Bearer'), createProblem({
        status: 401, code: 'admin-unauthorized', detail: tokens.length === 0 ? 'the admin API is disabled (ADMIN_TOKENS is empty)' : 'a valid bearer token is required',
      }))
    }
  })

  app.get<{ Params: { cardId: string } }>('/cards/:cardId', async (request, reply) => {
    const { cardId } = request.params
    const record = await registry.getCard(cardId)
    if (record === undefined) return sendProblem(reply, createProblem({ status: 404, code: 'unknown-card', detail: `no card ${cardId}` }))
    const syncs: Record<string, unknown> = {}
    for (const downstream of downstreams) {
      // remoteHolder (the ESC person's ESI) is personal data the operators' view does without.
      const { confirmedVersion, remoteState, outcome, updatedAtMs } = await registry.getSync(downstream, cardId)
      syncs[downstream] = {
        confirmedVersion,
        remoteState,
        outcome,
        updatedAtMs,
        inLine: confirmedVersion >= record.version,
        needsAttention: await registry.getAttention(downstream, cardId) ?? null,
      }
    }
    return { cardId, version: record.version, desired: record.card, holder: { eppn: record.holder.eppn, consents: record.holder.consents ?? null }, occurredAt: record.occurredAt, eventId: record.eventId, downstreams: syncs }
  })

  app.get<{ Params: { cardId: string }, Querystring: { limit?: string } }>('/cards/:cardId/timeline', async (request, reply) => {
    const { cardId } = request.params
    const asked = Number(request.query.limit ?? 1000)
    const limit = Number.isFinite(asked) ? Math.min(Math.max(Math.trunc(asked), 1), 1000) : 1000
    const entries = await registry.getTimeline(cardId, limit)
    if (entries.length === 0) return sendProblem(reply, createProblem({ status: 404, code: 'unknown-card', detail: `no history for card ${cardId}` }))
    return { cardId, entries }
  })

  app.get<{ Querystring: { downstream?: string, code?: string } }>('/attention', async (request, reply) => {
    const { downstream, code } = request.query
    if (downstream !== undefined && !isDownstream(downstream)) return unknownDownstream(reply)
    const entries = await registry.listAttention({ ...(downstream !== undefined ? { downstream } : {}), ...(typeof code === 'string' && code !== '' ? { code } : {}) })
    return { count: entries.length, entries }
  })

  // Every entry of one downstream and fault code at once: after a credential is renewed, hundreds wait on it.
  app.post<{ Params: { downstream: string }, Querystring: { code?: string } }>('/attention/:downstream/replay', async (request, reply) => {
    const { downstream } = request.params
    const { code } = request.query
    if (!isDownstream(downstream)) return unknownDownstream(reply)
    if (typeof code !== 'string' || code === '') return sendProblem(reply, createProblem({ status: 400, code: 'code-required', detail: 'say which fault code to replay: ?code=HTTP_401 (GET /admin/v1/attention lists them)' }))
    const replayed = await replayAttentionByCode(registry, queues, downstream, code, 'admin-api')
    request.log.info({ downstream, code, replayed }, 'attention entries replayed')
    return reply.code(202).send({ downstream, code, replayed })
  })

  app.post<{ Params: { downstream: string, cardId: string } }>('/attention/:downstream/:cardId/replay', async (request, reply) => {
    const { downstream, cardId } = request.params
    if (!isDownstream(downstream)) return unknownDownstream(reply)
    const outcome = await replayAttention(registry, queues, downstream, cardId, 'admin-api')
    if (outcome === 'unknown-card') return sendProblem(reply, createProblem({ status: 404, code: 'unknown-card', detail: `no card ${cardId}` }))
    if (outcome === 'not-waiting') return sendProblem(reply, createProblem({ status: 409, code: 'not-waiting', detail: `card ${cardId} has no ${downstream} work waiting for attention` }))
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
