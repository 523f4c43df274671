import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { FastifyAdapter } from '@bull-board/fastify'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { createProblem, sendProblem } from '../intake/problem.ts'
import type { SyncQueues } from '../queue/sync-queues.ts'
import { htmlPageHeaders } from './protection/html-headers.ts'
import { matchesSecret } from './secret-match.ts'

export const QUEUE_DASHBOARD_PATH = '/admin/queues'
export const QUEUE_DASHBOARD_REALM = 'leocarte-admin'

export interface QueueDashboardOptions {
  queues: SyncQueues
  /** The admin API's tokens (`ADMIN_TOKENS`); none means the dashboard answers 401 to everyone. */
  tokens: readonly string[]
}

/**
 * The BullMQ dashboard (bull-board) at `/admin/queues`: the page, its assets and its JSON API
 * (`/admin/queues/api/...`), over every sync queue of the gateway.
 *
 * Register it with `app.register` (it is not wrapped in fastify-plugin): the authentication hook,
 * bull-board's view engine, its static file server and its error handler then stay inside this
 * plugin. The app's not-found handler and the SGC intake's own body parsers are untouched.
 *
 * Access is the admin API's: one of `ADMIN_TOKENS`, as `Authorization: Bearer <token>` or as HTTP
 * Basic with any user name and the token as password, so that a browser can open the page.
 *
 * The board is not read-only. Its actions touch BullMQ jobs only, never the card registry, and that
 * is safe here because a job carries nothing but a card id and means "bring this downstream in line
 * with the card's desired state": the registry (desired state, confirmed versions, dirty marks,
 * "needs attention") stays the source of truth.
 * - Retrying a job (or all failed ones) runs one more level-triggered sync: at worst a no-op.
 * - Cleaning failed jobs, removing a job or emptying a queue cannot lose an opposition: the card
 *   stays in the downstream's dirty set until its version is confirmed, and the sweeper
 *   (src/queue/sweeper.ts) re-enqueues every dirty card that is still behind and has no job in
 *   flight (a removed job's state is `unknown`), within one `SWEEP_INTERVAL_MS` and a pass. A card waiting
 *   for an operator ("needs attention") is left alone by the sweeper either way; its replay is
 *   `POST /admin/v1/attention/.../replay`.
 * - Pausing an opposition lane, or setting a global rate limit or concurrency on it, would silently hold
 *   back every opposition (the promise is that they go through, outages included): refused on the
 *   `*-oppose` queues, as is "pause all". They remain possible on the enablement lanes. Whatever sets them
 *   anyway (the BullMQ API, redis-cli) is loud: `leocarte_queue_paused` and `leocarte_queue_rate_limited`,
 *   and an error log at every sweep while a queue is paused.
 * Adding a job and editing a job's data are refused: jobs must carry only the card id (no personal
 * data in a job, and the deterministic job id must match the card the job syncs).
 */
export async function queueDashboard (app: FastifyInstance, options: QueueDashboardOptions): Promise<void> {
  const { queues, tokens } = options
  await htmlPageHeaders(app)

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!matchesSecret(tokens, presentedToken(request.headers.authorization))) {
      return sendProblem(reply.header('WWW-Authenticate', `Basic realm="${QUEUE_DASHBOARD_REALM}"`), createProblem({
        status: 401,
        code: 'admin-unauthorized',
        detail: tokens.length === 0
          ? 'the queue dashboard is disabled (ADMIN_TOKENS is empty)'
          : 'an admin token is required, as a bearer token or as the password of HTTP Basic',
      }))
    }
  })

  // Some board actions take a small JSON body (a priority, a concurrency); parsed only once the token
  // passed (the hook above runs first), within a small limit.
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: DASHBOARD_BODY_LIMIT_BYTES }, app.getDefaultJsonParser('error', 'error'))
  // The page links a web font from a public CDN: an operator's browser would call out on every visit.
  // Dropped, so the page loads nothing but this gateway's assets (the CSP says the same, security-headers.ts).
  app.addHook('onSend', async (_request, reply, payload) => {
    const type = reply.getHeader('content-type')
    if (typeof payload !== 'string' || typeof type !== 'string' || !type.startsWith('text/html')) return payload
    return payload.replace(EXTERNAL_LINK, '')
  })

  const serverAdapter = new FastifyAdapter()
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH)
  createBullBoard({
    queues: queues.all().map((queue) => new BullMQAdapter(queue, { description: 'job data: the card id only; the card registry is the source of truth' })),
    serverAdapter,
    options: {
      uiConfig: { boardTitle: 'Léocarte queues' },
      handlerHooks: {
        before: ({ method, route, request }) => {
          const action = `${method.toUpperCase()} ${route}`
          if (REFUSED_ACTIONS.has(action)) return { allow: false, status: 403, message: 'jobs carry only a card id: add or edit none from the dashboard' }
          const queueName = String((request?.params as Record<string, unknown> | undefined)?.queueName ?? '')
          if (HOLDING_ACTIONS.has(action) && (queueName === '' || queueName.endsWith('-oppose'))) {
            return { allow: false, status: 403, message: 'oppositions are never held back: pausing or limiting an opposition lane is refused (an outage holds it back by itself, through the breaker)' }
          }
          return undefined
        },
      },
    },
  })
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH })
}

const DASHBOARD_BODY_LIMIT_BYTES = 16 * 1024
/** A `<link>` (stylesheet, font, icon) to another origin. */
const EXTERNAL_LINK = /<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?\/\/[^>]*>/gi

/** bull-board API routes that hold a queue back; refused on the opposition lanes (and "pause all", which has no queue). */
const HOLDING_ACTIONS: ReadonlySet<string> = new Set([
  'PUT /api/queues/pause',
  'PUT /api/queues/:queueName/pause',
  'PUT /api/queues/:queueName/rate-limit',
  'PUT /api/queues/:queueName/concurrency',
])

/** bull-board API routes (method and route as bull-board declares them) that could put arbitrary data in a job. */
const REFUSED_ACTIONS: ReadonlySet<string> = new Set([
  'POST /api/queues/:queueName/add',
  'PATCH /api/queues/:queueName/:jobId/update-data',
])

/** The token of `Bearer <token>`, or the password of `Basic base64(user:password)`; schemes are case-insensitive. */
export function presentedToken (header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const match = /^(\S+)\s+(\S+)\s*$/.exec(header.trim())
  if (match === null) return undefined
  const scheme = (match[1] ?? '').toLowerCase()
  const credentials = match[2] ?? ''
  if (scheme === 'bearer') return credentials
  if (scheme !== 'basic') return undefined
  const decoded = Buffer.from(credentials, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon === -1 ? undefined : decoded.slice(colon + 1)
}
