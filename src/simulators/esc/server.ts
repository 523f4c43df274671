import type { FastifyReply, FastifyRequest } from 'fastify'
import { holdOrRefuse } from '../outage.ts'
import { headerOf, listenAt, type SimulatorServerOptions, simulatorApp } from '../server.ts'
import { CONTROL_PREFIX, controlRoutes } from './control-routes.ts'
import { EscSimulatorControls } from './controls.ts'
import { createRouterApi } from './router-api.ts'

/** Where the REST API hangs, as on the real hosts (`https://router.europeanstudentcard.eu/esc-rest`). */
export const REST_BASE = '/esc-rest'

export interface EscSimulatorOptions extends SimulatorServerOptions {
  /** The one API token accepted (Bearer); anything else is a 401. */
  token: string
  /** The PIC of the token's organisation: other organisations' persons and cards answer `SE-0000`. Unset: any. */
  pic?: string
}

export interface EscSimulator extends EscSimulatorControls {
  /** The REST base, ending in `/esc-rest`, for the client's `baseUrl`. */
  readonly url: string
  /** Base of the JSON control API, e.g. `${controlUrl}/calls`. */
  readonly controlUrl: string
  close (): Promise<void>
}

/**
 * An in-process ESC Router V2 that validates every request against openapi/esc-router-v2.yaml and
 * behaves as the router is known to (esc-router.md §5, §8), with a JSON control API for tests, the demo
 * and fault drills (faults, outages, latency).
 */
export async function startEscSimulator (options: EscSimulatorOptions): Promise<EscSimulator> {
  if (typeof options.token !== 'string' || options.token === '') throw new TypeError('ESC simulator: a token is required')
  const controls = new EscSimulatorControls()
  const routerApi = await createRouterApi(controls, { token: options.token, pic: options.pic })
  // Aborted on close, so that calls held back by the latency setting do not hold the close up.
  const closing = new AbortController()

  const app = simulatorApp(options)
  await app.register(controlRoutes, { prefix: CONTROL_PREFIX, controls })
  await app.register(async (api) => {
    // The raw text goes to the validator, which parses it: malformed JSON is then the router's 400, not Fastify's.
    api.removeAllContentTypeParsers()
    api.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => { done(null, body) })
    api.all('/*', async (request, reply) => await serve(request, reply))
  }, { prefix: REST_BASE })

  async function serve (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const handled = await holdOrRefuse(controls, closing.signal, request, reply, {
      record: () => controls.calls.push({ operation: 'unknown', method: request.method, at: Date.now(), correlationId: headerOf(request, 'x-correlation-id'), httpStatus: 503, code: 'outage', valid: false }),
      // A load balancer's page, not the router's JSON: the client must read it leniently.
      contentType: 'text/html',
      body: '<html><body>503 Service Unavailable</body></html>',
    })
    if (handled) return reply
    const answer = routerApi({
      method: request.method,
      path: request.url.slice(REST_BASE.length),
      headers: request.headers,
      body: typeof request.body === 'string' ? request.body : undefined,
    })
    reply.code(answer.status).headers(answer.headers ?? {})
    if (answer.body === undefined) return reply.send()
    if (typeof answer.body === 'string') return reply.type('text/plain').send(answer.body)
    return reply.type('application/json').send(JSON.stringify(answer.body))
  }

  const base = await listenAt(app, options, 'ESC simulator')
  app.log.info({ url: `${base}${REST_BASE}`, controlUrl: `${base}${CONTROL_PREFIX}` }, 'ESC Router simulator listening')

  return Object.assign(controls, {
    url: `${base}${REST_BASE}`,
    controlUrl: `${base}${CONTROL_PREFIX}`,
    async close (): Promise<void> {
      closing.abort()
      await app.close()
    },
  })
}
