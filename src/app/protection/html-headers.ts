import fastifyHelmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'
import { HTML_CSP_DIRECTIVES } from '../security-headers.ts'

/**
 * @fastify/helmet on a scope serving HTML pages (the queue dashboard, /docs, the console): call it at the
 * top of the page's plugin (one that is not wrapped in fastify-plugin), so that its JSON neighbours are left
 * alone. The CSP is security-headers.ts's (this gateway's own assets only, no framing), and helmet adds
 * the rest: HSTS, X-Frame-Options DENY, no referrer, same-origin opener and resource policies, no DNS
 * prefetch, X-Download-Options, X-Permitted-Cross-Domain-Policies. security-headers.ts then sees a CSP on
 * the answer and adds none of its own (one header each, never two).
 */
export async function htmlPageHeaders (scope: FastifyInstance): Promise<void> {
  await scope.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: HTML_CSP_DIRECTIVES },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  })
}
