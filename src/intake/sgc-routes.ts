import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { illFormedFields } from '../domain/well-formed-text.ts'
import { acceptBatch } from './accept-batch.ts'
import { loadCardEventValidators } from './card-event-schema.ts'
import { DEFAULT_MAX_AHEAD_SECONDS, occurredAtProblems, signatureTime } from './event-time-check.ts'
import type { IntakeResult, IntakeService } from './intake-service.ts'
import { REGISTRY_RETRY_AFTER_SECONDS, RegistryUnavailableError } from './intake-service.ts'
import { fingerprint, normaliseCardEvent } from './normalise.ts'
import { createProblem, type FieldError, problemFromError, sendProblem } from './problem.ts'
import { type SignatureCheck, type SignatureInProgress, startSignatureCheck } from './signature.ts'
import { isReceivedBody, joinBody, signedBodyParser } from './signed-body.ts'

export interface SgcIntakeRoutesOptions {
  intake: IntakeService
  /** Secrets accepted for `X-Signature`: one, or two during a rotation. */
  secrets: readonly string[]
  /** Largest body of `POST /sgc/v1/card-events`, in bytes. @defaultValue 65536 (64 KiB) */
  bodyLimitBytes?: number
  /** Largest body of `POST /sgc/v1/card-events/batch`, in bytes. @defaultValue 8388608 (8 MiB) */
  batchBodyLimitBytes?: number
  /** Cards of one batch accepted concurrently. @defaultValue 32 */
  batchConcurrency?: number
  /** Clock for the signature freshness check, in milliseconds since the epoch. @defaultValue Date.now */
  now?: () => number
  /** How far `occurredAt` may be ahead of the signature's `t`, seconds. @defaultValue 300 */
  maxAheadSeconds?: number
}

export const CARD_EVENTS_PATH = '/sgc/v1/card-events'
export const CARD_EVENTS_BATCH_PATH = '/sgc/v1/card-events/batch'

/**
 * The SGC intake routes (SPEC §3), an encapsulated plugin: its JSON parser (raw bytes, for the
 * signature), signature check and problem+json error handler apply to these routes only.
 * Register it without a prefix; the paths are absolute.
 *
 * Nobody without a secret gets a body parsed: a missing or malformed `X-Signature` is refused before the
 * body is read; the body is hashed as it arrives (within the route's limit: the batch's large one on the
 * batch route alone), and parsed as JSON only once the signature matched.
 */
export function sgcIntakeRoutes (options: SgcIntakeRoutesOptions): FastifyPluginAsync {
  const settings = checkOptions(options)
  const validators = loadCardEventValidators()
  const { intake } = settings
  const signatures = new WeakMap<FastifyRequest, SignatureInProgress>()
  /**
   * Ill-formed Unicode first (a lone surrogate in an identifier would alias another card in Redis), the
   * schema, then the event time against the request's signature time.
   */
  const eventValidator = (request: FastifyRequest) => (value: unknown): FieldError[] => {
    const errors = [...illFormedFields(value), ...validators.validateCardEvent(value)]
    if (errors.length > 0) return errors
    const signedAt = signatureTime(request.headers['x-signature']) ?? Math.floor(settings.now() / 1000)
    return occurredAtProblems(value, signedAt, settings.maxAheadSeconds)
  }

  return async function sgcIntake (fastify: FastifyInstance): Promise<void> {
    // The signature covers the body bytes as sent, so JSON is parsed only after it is checked.
    fastify.removeAllContentTypeParsers()
    fastify.addContentTypeParser('application/json', signedBodyParser((request) => signatures.get(request)))

    fastify.setErrorHandler((error, request, reply) => {
      const problem = problemFromError(error)
      if (problem.status >= 500) request.log.error({ err: error }, 'card event intake failed')
      else request.log.info({ status: problem.status, code: (error as { code?: unknown }).code }, 'card event request refused')
      return sendProblem(reply, problem)
    })

    fastify.addHook('onRequest', async (request, reply) => {
      const started = startSignatureCheck(request.headers['x-signature'], settings.secrets)
      if (!started.ok) return refuseSignature(request, reply, started)
      signatures.set(request, started)
    })

    fastify.addHook('preValidation', async (request, reply) => {
      const check = signatures.get(request)
      if (check === undefined) return refuseSignature(request, reply, { ok: false, reason: 'missing', detail: 'the X-Signature header is missing' })
      const verdict = check.finish(settings.now())
      if (!verdict.ok) return refuseSignature(request, reply, verdict)
      const rawBody = isReceivedBody(request.body) ? joinBody(request.body) : Buffer.alloc(0)
      const body = parseJson(rawBody)
      if (body === INVALID_JSON) {
        return sendProblem(reply, createProblem({ status: 400, code: 'malformed-json', detail: 'the body is not valid UTF-8 JSON' }))
      }
      request.body = body
    })

    fastify.post(CARD_EVENTS_PATH, { bodyLimit: settings.bodyLimitBytes }, async (request, reply) => {
      const errors = eventValidator(request)(request.body)
      if (errors.length > 0) {
        request.log.info({ fields: errors.map((error) => error.field) }, 'card event refused: invalid')
        return sendProblem(reply, createProblem({
          status: 400,
          code: 'invalid-card-event',
          detail: 'the card event does not follow the schema; see errors',
          errors,
        }))
      }
      const event = normaliseCardEvent(request.body)
      let result: IntakeResult
      try {
        result = await intake.accept(event, fingerprint(event))
      } catch (error) {
        if (error instanceof RegistryUnavailableError) return sendUnavailable(request, reply, error)
        throw error
      }
      request.log.info({ eventId: event.eventId, cardId: event.card.id, status: result.status }, 'card event processed')
      if (result.status === 'conflict') {
        return sendProblem(reply, createProblem({
          status: 409,
          code: 'event-id-conflict',
          detail: `eventId ${event.eventId} was already accepted with a different content; nothing changed`,
        }))
      }
      return reply.code(202).send({ eventId: event.eventId, status: 'accepted', duplicate: result.status === 'duplicate', ...(result.status === 'accepted' ? { applied: result.applied } : {}) })
    })

    fastify.post(CARD_EVENTS_BATCH_PATH, { bodyLimit: settings.batchBodyLimitBytes }, async (request, reply) => {
      // Each event is checked on its own (ill-formed Unicode included); the envelope holds nothing else.
      const errors = validators.validateBatchEnvelope(request.body)
      if (errors.length > 0) {
        request.log.info({ fields: errors.map((error) => error.field) }, 'card event batch refused: invalid envelope')
        return sendProblem(reply, createProblem({
          status: 400,
          code: 'invalid-card-event-batch',
          detail: 'the batch must be {"events": [...]} with 1 to 1000 events',
          errors,
        }))
      }
      const { events } = request.body as { events: unknown[] }
      const outcome = await acceptBatch(events, {
        intake,
        validateCardEvent: eventValidator(request),
        concurrency: settings.batchConcurrency,
        log: request.log,
      })
      if (outcome.failure !== undefined) {
        // Nothing stored: the whole batch can simply be sent again. Otherwise the caller needs to
        // know which events went through, so the answer is per event, the rest being `unavailable`.
        if (outcome.acceptedCount === 0) {
          if (outcome.failure instanceof RegistryUnavailableError) return sendUnavailable(request, reply, outcome.failure)
          throw outcome.failure
        }
        request.log.warn({ err: outcome.failure, accepted: outcome.acceptedCount }, 'card event batch partly stored')
      }
      return reply.code(202).send({ results: outcome.results })
    })
  }
}

interface IntakeSettings {
  intake: IntakeService
  secrets: readonly string[]
  bodyLimitBytes: number
  batchBodyLimitBytes: number
  batchConcurrency: number
  now: () => number
  maxAheadSeconds: number
}

function checkOptions (options: SgcIntakeRoutesOptions): IntakeSettings {
  const {
    intake,
    secrets,
    bodyLimitBytes = 64 * 1024,
    batchBodyLimitBytes = 8 * 1024 * 1024,
    batchConcurrency = 32,
    now = Date.now,
    maxAheadSeconds = DEFAULT_MAX_AHEAD_SECONDS,
  } = options
  if (typeof intake?.accept !== 'function') throw new TypeError('sgcIntakeRoutes: intake must be an IntakeService')
  if (!Array.isArray(secrets) || secrets.length === 0 || secrets.some((secret) => typeof secret !== 'string' || secret === '')) {
    throw new TypeError('sgcIntakeRoutes: secrets must list at least one non-empty secret')
  }
  for (const [name, value] of Object.entries({ bodyLimitBytes, batchBodyLimitBytes, batchConcurrency, maxAheadSeconds })) {
    if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`sgcIntakeRoutes: ${name} must be a positive integer`)
  }
  return { intake, secrets: [...secrets], bodyLimitBytes, batchBodyLimitBytes, batchConcurrency, now, maxAheadSeconds }
}

const INVALID_JSON = Symbol('invalid JSON')
const utf8 = new TextDecoder('utf-8', { fatal: true })

function parseJson (raw: Buffer): unknown {
  try {
    return JSON.parse(utf8.decode(raw))
  } catch {
    return INVALID_JSON
  }
}

function refuseSignature (request: FastifyRequest, reply: FastifyReply, check: Extract<SignatureCheck, { ok: false }>): FastifyReply {
  request.log.warn({ reason: check.reason }, 'card event signature refused')
  reply.header('www-authenticate', 'HMAC-SHA256 realm="sgc", header="X-Signature"')
  return sendProblem(reply, createProblem({ status: 401, code: `signature-${check.reason}`, detail: check.detail }))
}

function sendUnavailable (request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  request.log.error({ err: error }, 'card registry unavailable: card event not stored')
  reply.header('retry-after', String(REGISTRY_RETRY_AFTER_SECONDS))
  return sendProblem(reply, createProblem({
    status: 503,
    code: 'registry-unavailable',
    detail: 'the card registry cannot be reached; nothing was stored, send the same request again later',
  }))
}
