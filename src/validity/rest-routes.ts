import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { matchesSecret } from '../app/secret-match.ts'
import { REGISTRY_RETRY_AFTER_SECONDS, RegistryUnavailableError } from '../intake/intake-service.ts'
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

  // A repeated parameter arrives as an array: not a QR code either.
  app.get<{ Querystring: { qr?: string | string[] } }>(QR_VALIDITY_PATH, async (request, reply) => {
    const { qr } = request.query
    const escn = typeof qr === 'string' ? escnFromQr(qr) : undefined
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
      options.onCall?.(request, { outcome: 'registry-unavailable', retryAfterSeconds: REGISTRY_RETRY_AFTER_SECONDS })
      return sendProblem(reply.header('retry-after', String(REGISTRY_RETRY_AFTER_SECONDS)), createProblem({ status: 503, code: 'registry-unavailable', detail: 'the card registry (Redis) cannot be reached; retry shortly' }))
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
