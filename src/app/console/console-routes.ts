import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import { htmlPageHeaders } from '../protection/html-headers.ts'

export const CONSOLE_PATH = '/admin/console'

/**
 * The console's own policy, stricter than the other HTML pages' (security-headers.ts): its files alone,
 * no inline script or style, no form posted anywhere, no framing, and Trusted Types required, so that
 * no script can write HTML into the page even by mistake.
 */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ')

const FILES: ReadonlyArray<{ path: string, file: string, type: string }> = [
  { path: CONSOLE_PATH, file: 'index.html', type: 'text/html; charset=utf-8' },
  { path: `${CONSOLE_PATH}/console.js`, file: 'console.js', type: 'text/javascript; charset=utf-8' },
  { path: `${CONSOLE_PATH}/console.css`, file: 'console.css', type: 'text/css; charset=utf-8' },
]

/**
 * The operators' console at /admin/console: three static files, read once at start. They hold no data
 * and no secret, so they are served without a token; everything they show comes from the admin API,
 * which the page calls with the token the operator typed (kept in sessionStorage, sent as a bearer
 * header, never a cookie: no cross-site request can carry it).
 */
export async function consoleRoutes (app: FastifyInstance): Promise<void> {
  // helmet's headers (HSTS and the rest); the stricter policy below replaces its CSP.
  await htmlPageHeaders(app)
  for (const { path, file, type } of FILES) {
    const body = readFileSync(new URL(file, import.meta.url))
    app.get(path, async (_request, reply) => await reply.type(type).header('cache-control', 'no-store').send(body))
  }
  // After the app-wide security headers (this hook runs after the root's): the stricter policy wins.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', CONSOLE_CONTENT_SECURITY_POLICY)
    reply.header('x-frame-options', 'DENY')
    reply.header('referrer-policy', 'no-referrer')
    reply.header('cross-origin-opener-policy', 'same-origin')
    reply.header('cross-origin-resource-policy', 'same-origin')
    reply.header('x-content-type-options', 'nosniff')
  })
}
