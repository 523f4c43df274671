import type { FastifyInstance } from 'fastify'

/**
 * Security headers. Every answer says `nosniff`; every HTML page (the queue dashboard at /admin/queues,
 * the OpenAPI UI at /docs) also gets a CSP that lets it load nothing but this gateway's own assets, may
 * not be framed (clickjacking its buttons while the browser holds cached admin credentials), and sends
 * no referrer. Neither page needs an inline script; both set inline styles.
 * The pages themselves are served under @fastify/helmet with this policy (protection/html-headers.ts);
 * this hook is the net under any other HTML answer: it adds the policy only where no CSP was set.
 */
export const HTML_CSP_DIRECTIVES: Readonly<Record<string, string[]>> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
}

export const HTML_CONTENT_SECURITY_POLICY = Object.entries(HTML_CSP_DIRECTIVES).map(([name, values]) => `${name} ${values.join(' ')}`).join('; ')

export function securityHeaders (app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff')
    const type = reply.getHeader('content-type')
    if (typeof type === 'string' && /^text\/html\b/i.test(type) && !reply.hasHeader('content-security-policy') && reply.raw.getHeader('content-security-policy') === undefined) {
      reply.header('content-security-policy', HTML_CONTENT_SECURITY_POLICY)
      reply.header('x-frame-options', 'DENY')
      reply.header('referrer-policy', 'no-referrer')
      reply.header('cross-origin-opener-policy', 'same-origin')
    }
  })
}
