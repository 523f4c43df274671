import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { matchesSecret } from '../app/secret-match.ts'
import { RegistryUnavailableError } from '../intake/intake-service.ts'
import { createProblem, sendProblem } from '../intake/problem.ts'
import { escnFromQr, isIdType } from './card-identifier.ts'
import type { ValidityChecker, ValidityOutcome } from './check-validity.ts'
import { describeOutcome, type ValidityCall } from './validity-call.ts'

export interface ValidityRestRoutesOptions {
  checker: ValidityChecker
  /** Accepted `X-API-Key` values; none means every request is refused. */
  apiKeys: readonly string[]
  onCall?: (request: FastifyRequest, call: ValidityCall) => void
}

export const CARD_VALIDITY_PATH = '/crous/v1/cards/:cardId/validity'
export const QR_VALIDITY_PATH = '/crous/v1/validity'

const REGISTRY_RETRY_SECONDS = 5

/** `GET /crous/v1/cards/{cardId}/validity` and `GET /crous/v1/validity?qr=`, behind an `X-API-Key`. */
export async function validityRestRoutes (app: FastifyInstance, options: ValidityRestRoutesOptions): Promise<void> {
  const { checker, apiKeys } = options

  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers['x-api-key']
    if (!matchesSecret(apiKeys, Array.isArray(header) ? undefined : header)) {
      options.onCall?.(request, { outcome: 'unauthorized' })
      return sendProblem(reply.header('www-authenticate', 'ApiKey header="X-API-Key"'), createProblem({
        status: 401,
        code: 'validity-unauthorized',
        detail: apiKeys.length === 0 ? 'the validity API is closed (no CROUS_API_KEYS are configured)' : 'a valid X-API-Key header is required',
      }))
    }
  })

  app.get<{ Params: { cardId: string }, Querystring: { type?: string } }>(CARD_VALIDITY_PATH, async (request, reply) => {
    const { type } = request.query
    if (type !== undefined && !isIdType(type)) {
      return refuse(request, reply, 'invalid-id-type', 'type must be csn, idZdc or escn')
    }
    return await answer(request, reply, async () => await checker.check(request.params.cardId, type))
  })

  app.get<{ Querystring: { qr?: string } }>(QR_VALIDITY_PATH, async (request, reply) => {
    const escn = request.query.qr === undefined ? undefined : escnFromQr(request.query.qr)
    if (escn === undefined) {
      return refuse(request, reply, 'invalid-qr', 'qr must be the content of a European Student Card QR code: a URL whose last path segment is an ESCN')
    }
    return await answer(request, reply, async () => await checker.check(escn, 'escn'))
  })

  /** A 400 for a query the checker is never asked about. */
  function refuse (request: FastifyRequest, reply: FastifyReply, code: string, detail: string): FastifyReply {
    options.onCall?.(request, { outcome: code })
    return sendProblem(reply, createProblem({ status: 400, code, detail }))
  }

  async function answer (request: FastifyRequest, reply: FastifyReply, check: () => Promise<ValidityOutcome>): Promise<FastifyReply> {
    reply.header('cache-control', 'no-store')
    let result: ValidityOutcome
    try {
      result = await check()
    } catch (error) {
      if (!(error instanceof RegistryUnavailableError)) throw error
      options.onCall?.(request, { outcome: 'registry-unavailable', retryAfterSeconds: REGISTRY_RETRY_SECONDS })
      return sendProblem(reply.header('retry-after', String(REGISTRY_RETRY_SECONDS)), createProblem({ status: 503, code: 'registry-unavailable', detail: 'the card registry (Redis) cannot be reached; retry shortly' }))
    }
    options.onCall?.(request, describeOutcome(result))
    switch (result.outcome) {
      case 'answer':
        return reply.send(result.validity)
      case 'unknown-card':
        return sendProblem(reply, createProblem({ status: 404, code: 'unknown-card', detail: `no card ${result.cardId}, here or at the ESC Router` }))
      case 'invalid-card-id':
        return sendProblem(reply, createProblem({ status: 400, code: 'invalid-card-id', detail: result.detail }))
      case 'ambiguous-card-id':
        return sendProblem(reply, createProblem({ status: 400, code: 'ambiguous-card-id', detail: `${result.cardId} is both a known CSN and a known idZdc: add ?type=csn or ?type=idZdc` }))
      case 'router-unavailable':
        return sendProblem(reply.header('retry-after', String(result.retryAfterSeconds)), createProblem({
          status: 503,
          code: 'router-unavailable',
          detail: `the ESC Router cannot answer about ${result.cardId} now: ${result.detail}`,
        }))
    }
  }
}
