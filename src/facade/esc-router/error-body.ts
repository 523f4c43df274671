import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * The router's error body, `ApiErrorMessage = {code, message}` and nothing else: ESUP-SGC reads the code
 * with a fresh default ObjectMapper, so one extra field makes the code unreadable (esup-sgc-dropin.md §3).
 */
export interface RouterErrorBody {
  code: string
  message: string
}

/** The router's code for a missing, wrong or unauthorised key (and for another organisation's person). */
export const ACCESS_DENIED = 'SE-0000'
/** The façade's own codes, where no router code is known: `LEO-` and the HTTP status. */
export const FACADE_CODES = {
  badRequest: 'LEO-0400',
  notFound: 'LEO-0404',
  tooLarge: 'LEO-0413',
  tooMany: 'LEO-0429',
  unavailable: 'LEO-0503',
  failed: 'LEO-0500',
} as const

export function sendRouterError (reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  const body: RouterErrorBody = { code, message }
  return reply.code(status).type('application/json').send(JSON.stringify(body))
}

/**
 * For the app's framework-error handler (a path that decodes to no character, a bad header): under the
 * façade's base the answer is the router's `{code, message}` too, never problem+json. False elsewhere.
 */
export function sendFacadeFrameworkError (base: string, request: FastifyRequest, reply: FastifyReply, error: Error & { statusCode?: number }): boolean {
  if (!request.url.startsWith(base + '/') && request.url !== base) return false
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 400
  void sendRouterError(reply, status, status >= 500 ? FACADE_CODES.failed : FACADE_CODES.badRequest, 'the request cannot be read')
  return true
}
