import { STATUS_CODES } from 'node:http'
import type { FastifyReply } from 'fastify'

/** RFC 9457 problem details, as every route of the gateway answers its errors. */
export interface Problem {
  type: string
  title: string
  status: number
  detail?: string
  instance?: string
  errors?: FieldError[]
}

/** One bad field of a request: a dotted path (`card.csn`, `events[3]`) and what is wrong with it. */
export interface FieldError {
  field: string
  message: string
}

export interface ProblemOptions {
  status: number
  /** Short kebab-case code; the problem `type` becomes `PROBLEM_TYPE_BASE + code`. Without one, `about:blank`. */
  code?: string
  /** Defaults to the HTTP reason phrase of `status`. */
  title?: string
  detail?: string
  errors?: FieldError[]
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'
export const PROBLEM_TYPE_BASE = 'https://leocarte.example/problems/'

export function createProblem (options: ProblemOptions): Problem {
  const problem: Problem = {
    type: options.code === undefined ? 'about:blank' : PROBLEM_TYPE_BASE + options.code,
    title: options.title ?? STATUS_CODES[options.status] ?? 'Error',
    status: options.status,
  }
  if (options.detail !== undefined) problem.detail = options.detail
  if (options.errors !== undefined) problem.errors = options.errors
  return problem
}

export function sendProblem (reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem)
}

/**
 * The problem for an error that reached an error handler: Fastify's own request errors (body too
 * large, unsupported media type, bad content length…) keep their status; anything else is a 500
 * whose detail is not disclosed.
 */
export function problemFromError (error: unknown): Problem {
  const status = statusOf(error)
  if (status === undefined || status >= 500) return createProblem({ status: 500 })
  const code = FASTIFY_ERROR_CODES.get((error as { code?: unknown }).code as string)
  return createProblem({ status, code, detail: (error as Error).message })
}

const FASTIFY_ERROR_CODES: ReadonlyMap<string, string> = new Map([
  ['FST_ERR_CTP_BODY_TOO_LARGE', 'body-too-large'],
  ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 'unsupported-media-type'],
  ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 'invalid-content-length'],
  ['FST_ERR_CTP_EMPTY_JSON_BODY', 'malformed-json'],
  ['FST_ERR_CTP_INVALID_JSON_BODY', 'malformed-json'],
  // A percent-encoded path segment that decodes to no character (`%ED%A0%80`, a lone surrogate's bytes).
  ['FST_ERR_BAD_URL', 'invalid-url'],
])

function statusOf (error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const status = (error as { statusCode?: unknown }).statusCode
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : undefined
}
