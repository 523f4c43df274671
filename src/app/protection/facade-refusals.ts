import type { FastifyReply, FastifyRequest } from 'fastify'
import { crousError } from '../../facade/api-crous/answers.ts'
import { FACADE_CODES, sendRouterError } from '../../facade/esc-router/error-body.ts'
import type { Refusal } from './rate-limits.ts'

/*
 * A rate-limit or overload refusal on an ESUP-SGC façade, in the body its connector reads (problem+json
 * would leave ESUP-SGC's error log empty). Either way ESUP-SGC treats it as a failed call: it rolls the
 * state change back and shows the error, and nothing was stored.
 */

/** The ESC Router's `{code, message}` and nothing else. */
export function renderEscFacadeRefusal (_request: FastifyRequest, reply: FastifyReply, refusal: Refusal): FastifyReply {
  return sendRouterError(reply.header('retry-after', String(refusal.retryAfterSeconds)), refusal.status, refusal.status === 429 ? FACADE_CODES.tooMany : FACADE_CODES.unavailable, refusal.detail)
}

/** API CROUS's `{"errors": [{code, message, field}]}`. */
export function renderApiCrousRefusal (_request: FastifyRequest, reply: FastifyReply, refusal: Refusal): FastifyReply {
  return reply.code(refusal.status).header('retry-after', String(refusal.retryAfterSeconds)).type('application/json').send(JSON.stringify(crousError(refusal.code, refusal.detail)))
}
