import type { FastifyInstance } from 'fastify'

/**
 * Outside the few plugins that take a body (the SGC intake, the SOAP service, the queue dashboard's
 * actions, each with its own parser and limit), no body is ever read or parsed: not for an unknown
 * path, not for a GET-only route, not for an admin action. An attacker's 8 MB nested JSON then costs
 * nothing but the socket, which is closed after the answer instead of being drained (a body of up to
 * BODY_LIMIT_BYTES is drained, so that the connection can be kept).
 * Call on the root instance before registering the routes; encapsulated plugins inherit it.
 */
export function readNoBodies (app: FastifyInstance, drainLimitBytes: number): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_request, _payload, done) => {
    done(null, undefined)
  })
  app.addHook('onSend', async (request, reply) => {
    // A large body left unread (this parser, or a refusal before the intake read it): no keep-alive, so
    // Node does not drain megabytes nobody asked for. A small one is drained, and the connection kept.
    if (request.raw.complete !== false) return
    const declared = Number(request.headers['content-length'])
    if (!Number.isFinite(declared) || declared > drainLimitBytes) reply.header('connection', 'close')
  })
}
