import type { FastifyInstance } from 'fastify'
import { createProblem, sendProblem } from '../../intake/problem.ts'
import { presentedToken } from '../queue-dashboard.ts'
import { matchesSecret } from '../secret-match.ts'

/**
 * Requires `token` on every route of `scope` (METRICS_TOKEN, DOCS_TOKEN), as `Authorization: Bearer` (what
 * a Prometheus scrape config or ServiceMonitor sends) or as the password of HTTP Basic (what a browser
 * asks for on /docs). Nothing given: the scope stays open.
 */
export function tokenGate (scope: FastifyInstance, token: string | undefined, what: string, realm: string): void {
  if (token === undefined) return
  scope.addHook('onRequest', async (request, reply) => {
    if (matchesSecret([token], presentedToken(request.headers.authorization))) return
    return sendProblem(reply.header('www-authenticate', `Basic realm="${realm}"`), createProblem({ status: 401, code: `${what}-unauthorized`, detail: `${what} requires its token (a bearer token, or the password of HTTP Basic)` }))
  })
}
