import type { FastifyInstance, FastifyReply } from 'fastify'
import type { DownstreamName } from '../../domain/downstream.ts'
import { createProblem, sendProblem } from '../../intake/problem.ts'
import type { SyncQueues } from '../../queue/sync-queues.ts'
import type { Registry } from '../../registry/registry.ts'
import { readIdentifier } from '../../validity/card-identifier.ts'
import { dismissAttention, MAX_REASON_LENGTH, replayEntries, resyncCard } from './actions.ts'
import { compareEntries, decodeCursor, isEmptyFilter, matchesAge, pageOf, pageSize, readAttentionFilter, type AttentionFilter } from './attention-query.ts'
import { audit, operatorName } from './audit.ts'
import { cardView } from './card-view.ts'

export interface WorkQueueRoutesOptions {
  registry: Registry
  queues: SyncQueues
  downstreams: readonly DownstreamName[]
  /** The zone the summaries write times in (VALIDITY_TIME_ZONE). */
  timeZone: string
  now?: () => number
}

/** The largest body of an admin action (a dismissal's reason). */
const ACTION_BODY_LIMIT_BYTES = 4096
/** An eppn holds a handful of cards; more than this is a data problem, not a search to page through. */
const MAX_HOLDER_CARDS = 100

/**
 * The operators' work routes, registered inside the admin API (its token hook runs first): find a card
 * by what the caller has, the "needs attention" list as a filtered, paged work queue, replay of every
 * entry of a filter, dismissal with a reason, a forced re-sync, and the overview the console shows.
 * Every action names its operator in the card's timeline and in one audit log line.
 */
export async function workQueueRoutes (app: FastifyInstance, options: WorkQueueRoutesOptions): Promise<void> {
  const { registry, queues, downstreams, timeZone } = options
  const now = options.now ?? Date.now

  // Only the dismissal takes a body; parsed after the admin hook (onRequest) let the token through.
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: ACTION_BODY_LIMIT_BYTES }, app.getDefaultJsonParser('error', 'error'))

  app.get<{ Querystring: Record<string, string | undefined> }>('/cards', async (request, reply) => {
    const given = (['csn', 'idZdc', 'escn', 'eppn'] as const).filter((name) => typeof request.query[name] === 'string' && request.query[name] !== '')
    if (given.length !== 1) return sendProblem(reply, createProblem({ status: 400, code: 'one-identifier', detail: 'give exactly one of csn, idZdc, escn, eppn' }))
    const kind = given[0] as 'csn' | 'idZdc' | 'escn' | 'eppn'
    const raw = String(request.query[kind]).trim()
    let records
    if (kind === 'eppn') {
      if (raw.length > 255) return sendProblem(reply, createProblem({ status: 400, code: 'invalid-identifier', detail: 'eppn: at most 255 characters' }))
      records = (await registry.listHolderCards(raw)).slice(0, MAX_HOLDER_CARDS)
    } else {
      const [candidate] = readIdentifier(raw, kind)
      if (candidate === undefined) return sendProblem(reply, createProblem({ status: 400, code: 'invalid-identifier', detail: `${kind}: not of the form of one (csn: 8, 14 or 20 hex digits; idZdc: up to 15 digits; escn: a UUID)` }))
      const record = await registry.findCard(candidate.kind, candidate.value)
      records = record === undefined ? [] : [record]
    }
    // The identifier kind only: an eppn is personal data.
    request.log.info({ audit: true, operator: operatorName(request), action: 'find-card', by: kind, found: records.length }, 'admin find-card')
    records.sort((a, b) => b.acceptedAtMs - a.acceptedAtMs)
    const clock = { nowMs: now(), timeZone }
    const cards = await Promise.all(records.map(async (record) => await cardView(registry, downstreams, record, clock)))
    return { count: cards.length, cards }
  })

  app.post<{ Params: { cardId: string }, Querystring: { downstream?: string } }>('/cards/:cardId/resync', async (request, reply) => {
    const { cardId } = request.params
    const { downstream } = request.query
    if (downstream !== undefined && !isDownstream(downstream)) return unknownDownstream(reply)
    const targets = downstream === undefined ? downstreams : [downstream]
    for (const target of targets) {
      if (await resyncCard(registry, queues, target, cardId, operatorName(request)) === 'unknown-card') {
        return sendProblem(reply, createProblem({ status: 404, code: 'unknown-card', detail: `no card ${cardId}` }))
      }
      audit(request, 'resync', { downstream: target, cardId })
    }
    return reply.code(202).send({ cardId, downstreams: targets, status: 'resynced' })
  })

  app.get<{ Querystring: Record<string, string | undefined> }>('/attention', async (request, reply) => {
    const read = readAttentionFilter(request.query, downstreams)
    if ('error' in read) return filterProblem(reply, read)
    const limit = pageSize(request.query.limit)
    if (limit === undefined) return sendProblem(reply, createProblem({ status: 400, code: 'invalid-query', detail: 'limit: a whole number (1-1000)' }))
    const rawCursor = request.query.cursor
    const cursor = rawCursor === undefined || rawCursor === '' ? undefined : decodeCursor(rawCursor)
    if (rawCursor !== undefined && rawCursor !== '' && cursor === undefined) return sendProblem(reply, createProblem({ status: 400, code: 'invalid-query', detail: 'cursor: not one this API gave (use nextCursor as given)' }))
    const matching = await matchingEntries(read.filter)
    return { count: matching.length, ...pageOf(matching, limit, cursor) }
  })

  // Every entry of a filter at once: after a credential is renewed, hundreds wait on it.
  app.post<{ Querystring: Record<string, string | undefined> }>('/attention/replay', async (request, reply) => {
    const read = readAttentionFilter(request.query, downstreams)
    if ('error' in read) return filterProblem(reply, read)
    if (isEmptyFilter(read.filter) && request.query.all !== 'true') {
      return sendProblem(reply, createProblem({ status: 400, code: 'filter-required', detail: 'give a filter (downstream, code, minAgeSeconds, maxAgeSeconds), or all=true to replay every entry' }))
    }
    const matching = await matchingEntries(read.filter)
    const replayed = await replayEntries(registry, queues, matching, operatorName(request))
    audit(request, 'replay-filter', { downstream: read.filter.downstream, code: read.filter.code, minAgeSeconds: read.filter.minAgeSeconds, maxAgeSeconds: read.filter.maxAgeSeconds, matched: matching.length, replayed })
    return reply.code(202).send({ matched: matching.length, replayed })
  })

  app.post<{ Params: { downstream: string, cardId: string }, Body: unknown }>('/attention/:downstream/:cardId/dismiss', async (request, reply) => {
    const { downstream, cardId } = request.params
    if (!isDownstream(downstream)) return unknownDownstream(reply)
    const body = request.body
    const reason = typeof body === 'object' && body !== null ? (body as { reason?: unknown }).reason : undefined
    if (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_REASON_LENGTH) {
      return sendProblem(reply, createProblem({ status: 400, code: 'reason-required', detail: `send {"reason": "..."} (1-${MAX_REASON_LENGTH} characters) as application/json: it is kept in the card's timeline` }))
    }
    const outcome = await dismissAttention(registry, downstream, cardId, operatorName(request), reason.trim())
    if (outcome === 'unknown-card') return sendProblem(reply, createProblem({ status: 404, code: 'unknown-card', detail: `no card ${cardId}` }))
    if (outcome === 'not-waiting') return sendProblem(reply, createProblem({ status: 409, code: 'not-waiting', detail: `card ${cardId} has no ${downstream} work waiting for attention` }))
    audit(request, 'dismiss', { downstream, cardId })
    return { cardId, downstream, status: 'dismissed' }
  })

  app.get('/overview', async () => {
    const nowMs = now()
    const [attention, stats, queueCounts, dirty] = await Promise.all([
      registry.countAttention(),
      registry.readSweepStats(),
      queues.jobCounts(),
      Promise.all(downstreams.map(async (downstream) => await registry.countDirty(downstream))),
    ])
    const perDownstream: Record<string, unknown> = {}
    downstreams.forEach((downstream, index) => {
      const swept = stats.get(downstream)
      const oldest = swept?.oldestPendingOppositionMs ?? null
      perDownstream[downstream] = {
        needsAttention: attention.get(downstream) ?? 0,
        outOfSync: (dirty[index] ?? 0) + (attention.get(downstream) ?? 0),
        // As the metric leocarte_oldest_pending_opposition_seconds: noted by the last sweep pass.
        oldestPendingOppositionSeconds: oldest === null ? null : Math.max(0, Math.round((nowMs - oldest) / 1000)),
        oldestPendingOppositionSince: oldest === null ? null : new Date(oldest).toISOString(),
        sweptAt: swept === undefined ? null : new Date(swept.sweptAtMs).toISOString(),
      }
    })
    return { downstreams: perDownstream, queues: queueCounts }
  })

  async function matchingEntries (filter: AttentionFilter): Promise<Awaited<ReturnType<Registry['listAttention']>>> {
    const nowMs = now()
    const entries = await registry.listAttention({ ...(filter.downstream !== undefined ? { downstream: filter.downstream } : {}), ...(filter.code !== undefined ? { code: filter.code } : {}) })
    return entries.filter((entry) => matchesAge(entry, filter, nowMs)).sort(compareEntries)
  }

  function isDownstream (name: string): name is DownstreamName {
    return (downstreams as readonly string[]).includes(name)
  }

  function unknownDownstream (reply: FastifyReply): FastifyReply {
    return sendProblem(reply, createProblem({ status: 404, code: 'unknown-downstream', detail: `downstream must be one of ${downstreams.join(', ')}` }))
  }

  function filterProblem (reply: FastifyReply, read: { error: string, status: 400 | 404 }): FastifyReply {
    return sendProblem(reply, createProblem({ status: read.status, code: read.status === 404 ? 'unknown-downstream' : 'invalid-query', detail: read.error }))
  }
}
