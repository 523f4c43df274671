import { readFileSync } from 'node:fs'
import fastifySwagger, { type StaticDocumentSpec } from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { parse as parseYaml } from 'yaml'
import { GATEWAY_OPENAPI_URL } from '../intake/card-event-schema.ts'
import { htmlPageHeaders } from './protection/html-headers.ts'
import { tokenGate } from './protection/token-gate.ts'

export const OPENAPI_JSON_PATH = '/openapi.json'
export const DOCS_PATH = '/docs'

/**
 * The gateway's OpenAPI document, read once: as JSON at `/openapi.json` and as an OpenAPI UI at `/docs`.
 * Register it with `app.register` (it is not wrapped in fastify-plugin): the swagger decorators and the
 * UI's static file server then stay inside this plugin, away from the other routes.
 */
export async function docsRoutes (app: FastifyInstance, options: { documentUrl?: URL, token?: string } = {}): Promise<void> {
  const document = parseYaml(readFileSync(options.documentUrl ?? GATEWAY_OPENAPI_URL, 'utf8')) as StaticDocumentSpec['document']
  const json = JSON.stringify(document)

  // DOCS_TOKEN: the UI, its assets and the JSON alike (the document names every route and its credentials' shape).
  tokenGate(app, options.token, 'docs', 'leocarte-docs')
  await htmlPageHeaders(app)
  // Static mode: the hand-written document is the contract; nothing is generated from the routes.
  await app.register(fastifySwagger, { mode: 'static', specification: { document } })
  await app.register(fastifySwaggerUi, { routePrefix: DOCS_PATH })
  app.get(OPENAPI_JSON_PATH, async (_request, reply) => reply.type('application/json; charset=utf-8').send(json))
}
