import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { matchesSecret } from '../../app/secret-match.ts'
import { REGISTRY_RETRY_AFTER_SECONDS } from '../../intake/intake-service.ts'
import { isRegistryUnavailable } from '../../app/registry-unavailable.ts'
import { crousError } from './answers.ts'
import { type FieldProblem, illFormed, readCardPatch, readIdZdc, readPatchIdentifier, readRightHolder, readSmartCard } from './bodies.ts'
import { type ApiCrousFacade, callHash, type FacadeAnswer } from './service.ts'
import type { FacadeStore } from './store.ts'

export interface ApiCrousClient {
  clientId: string
  clientSecret: string
}

export interface ApiCrousRoutesOptions {
  facade: ApiCrousFacade
  store: FacadeStore
  /** SGC_CROUS_CLIENTS: the OAuth2 clients ESUP-SGC authenticates as (apiCrousService.clientId / clientSecret). */
  clients: readonly ApiCrousClient[]
  timeZone: string
  /** Largest request body, bytes (a real one is under 1 KiB). */
  bodyLimitBytes: number
}

export const API_CROUS_PREFIX = '/api-crous'

/**
 * Whether a request URL is one of the façade's API calls, whose path carries a right-holder key (an eppn,
 * an INE, an e-mail): Fastify's own request lines must not log it (build-app.ts); the façade's lines name
 * fields and codes, never a key.
 */
export function carriesHolderKey (url: string): boolean {
  return url.startsWith(`${API_CROUS_PREFIX}/beforeizly/`)
}
const V1 = '/beforeizly/v1'

/**
 * The API CROUS façade's HTTP face (SPEC §11), an encapsulated plugin registered under `/api-crous`:
 * `webUrl` = `accessUrl` = `https://<gateway>/api-crous` in ESUP-SGC. The token endpoint takes HTTP Basic
 * client credentials; every other route a bearer token it issued (checked in Redis before any body is
 * read: nobody without a token gets a body parsed). Errors use API CROUS's `{"errors":[…]}` body.
 */
export function apiCrousRoutes (options: ApiCrousRoutesOptions): FastifyPluginAsync {
  const { facade, store, clients, timeZone, bodyLimitBytes } = options
  return async function apiCrous (fastify: FastifyInstance): Promise<void> {
    fastify.removeAllContentTypeParsers()
    fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: bodyLimitBytes }, (_request, body, done) => {
      try {
        done(null, body === '' ? undefined : JSON.parse(body as string))
      } catch {
        done(Object.assign(new Error('the body is not valid JSON'), { statusCode: 400, code: 'FACADE_BAD_JSON' }), undefined)
      }
    })
    // ESUP-SGC always sends application/json; anything else is not read.
    fastify.addContentTypeParser('*', (_request, _payload, done) => { done(null, undefined) })

    fastify.setErrorHandler((error, request, reply) => {
      if (isRegistryUnavailable(error)) {
        request.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'API CROUS façade: Redis unavailable, answered 503 (nothing stored)')
        return reply.code(503).header('retry-after', String(REGISTRY_RETRY_AFTER_SECONDS))
          .send(crousError('503', 'the gateway cannot store this now; nothing was changed, try again later'))
      }
      const status = (error as { statusCode?: number }).statusCode
      if (status !== undefined && status >= 400 && status < 500) {
        return reply.code(status).send(crousError(String(status), error instanceof Error ? error.message : 'bad request'))
      }
      request.log.error({ err: error }, 'API CROUS façade: request failed')
      return reply.code(500).send(crousError('500', 'internal error'))
    })

    for (const path of ['/api/oauth/token', '/api-pp/oauth/token']) {
      fastify.post(path, async (request, reply) => {
        const client = basicClient(request.headers.authorization)
        const known = client !== undefined && clients.some((c) => c.clientId === client.clientId) &&
          matchesSecret(clients.filter((c) => c.clientId === client.clientId).map((c) => c.clientSecret), client.clientSecret)
        if (!known || client === undefined) {
          request.log.info('API CROUS façade: token refused (unknown client or bad secret)')
          return reply.code(401).header('www-authenticate', 'Basic realm="api-crous"').send({ error: 'invalid_client' })
        }
        const grant = (request.query as Record<string, unknown>).grant_type
        if (grant !== undefined && grant !== 'client_credentials') return reply.code(400).send({ error: 'unsupported_grant_type' })
        const token = await store.issueToken(client.clientId)
        // Scalars only: ESUP-SGC reads the answer as a map of string to string.
        return reply.code(200).header('cache-control', 'no-store').send({ access_token: token, token_type: 'bearer', expires_in: store.tokenTtlSeconds })
      })
    }

    await fastify.register(async (api) => {
      api.addHook('onRequest', async (request, reply) => {
        const header = request.headers.authorization
        const token = typeof header === 'string' && /^bearer /i.test(header) ? header.slice(7).trim() : ''
        // ESUP-SGC's first call after a start carries an empty or "null" Authorization; only 401/403 make it re-authenticate.
        if (token === '' || token === 'null' || await store.tokenClient(token) === undefined) {
          return await reply.code(401).header('www-authenticate', 'Bearer realm="api-crous"').send(crousError('401', 'missing, unknown or expired access token'))
        }
      })

      const send = async (reply: FastifyReply, answer: FacadeAnswer): Promise<FastifyReply> => {
        reply.code(answer.status)
        return answer.body === undefined ? await reply.send() : await reply.type('application/json').send(answer.body)
      }
      const refuse = async (request: FastifyRequest, reply: FastifyReply, errors: FieldProblem[]): Promise<FastifyReply> => {
        request.log.info({ fields: errors.map((e) => e.field) }, 'API CROUS façade: request refused')
        return await reply.code(400).send({ errors: errors.map((e) => ({ code: '400', message: `${e.field} ${e.message}`, field: e.field })) })
      }
      const correlation = (request: FastifyRequest): string => request.id

      api.get(`${V1}/rightholders/:id`, async (request, reply) => {
        const { id } = request.params as { id: string }
        const bad = illFormed({ identifier: id })
        if (bad.length > 0) return await refuse(request, reply, bad)
        return await send(reply, await facade.getRightHolder(id, correlation(request)))
      })

      api.post(`${V1}/rightholders`, async (request, reply) => {
        const bad = illFormed({ body: request.body })
        const read = readRightHolder(request.body, timeZone)
        if (bad.length > 0 || !read.ok) return await refuse(request, reply, [...bad, ...(read.ok ? [] : read.errors)])
        const identifier = read.value.identifier
        if (identifier === undefined || identifier === 'null') return await refuse(request, reply, [{ field: 'identifier', message: 'is required' }])
        const hash = callHash({ method: 'POST', route: 'rightholders', params: {}, body: request.body })
        return await send(reply, await facade.writeRightHolder(identifier, request.body as Record<string, unknown>, read.value.fields, hash))
      })

      api.put(`${V1}/rightholders/:id`, async (request, reply) => {
        const { id } = request.params as { id: string }
        const bad = illFormed({ identifier: id, body: request.body })
        const read = readRightHolder(request.body, timeZone)
        if (bad.length > 0 || !read.ok) return await refuse(request, reply, [...bad, ...(read.ok ? [] : read.errors)])
        const hash = callHash({ method: 'PUT', route: 'rightholders', params: { id }, body: request.body })
        return await send(reply, await facade.writeRightHolder(id, request.body as Record<string, unknown>, read.value.fields, hash))
      })

      api.patch(`${V1}/rightholders/:id`, async (request, reply) => {
        const { id } = request.params as { id: string }
        const bad = illFormed({ identifier: id, body: request.body })
        const read = readPatchIdentifier(request.body)
        if (bad.length > 0 || !read.ok) return await refuse(request, reply, [...bad, ...(read.ok ? [] : read.errors)])
        const hash = callHash({ method: 'PATCH', route: 'rightholders', params: { id }, body: request.body })
        return await send(reply, await facade.patchIdentifier(id, read.value.newIdentifier, hash))
      })

      api.get(`${V1}/rightholders/:id/smartcard/:idZdc`, async (request, reply) => {
        const { id, idZdc } = request.params as { id: string, idZdc: string }
        const number = readIdZdc(idZdc)
        const bad = [...illFormed({ identifier: id }), ...(number === undefined ? [{ field: 'idZdc', message: 'must be a card number of 1 to 15 digits' }] : [])]
        if (bad.length > 0 || number === undefined) return await refuse(request, reply, bad)
        return await send(reply, await facade.getSmartCard(number))
      })

      api.post(`${V1}/rightholders/:id/smartcard`, async (request, reply) => {
        const { id } = request.params as { id: string }
        const bad = illFormed({ identifier: id, body: request.body })
        const read = readSmartCard(request.body, timeZone)
        if (bad.length > 0 || !read.ok) return await refuse(request, reply, [...bad, ...(read.ok ? [] : read.errors)])
        // C6 with the literal "null" key (ESUP-SGC got no right holder): a card cannot be registered without
        // one. ESUP-SGC logs a 404 here and goes on ("card not added"); no opposition depends on it.
        if (id === 'null') return await send(reply, { status: 404, body: crousError('404', 'no right holder key: send the right holder first') })
        const hash = callHash({ method: 'POST', route: 'smartcard', params: { id }, body: request.body })
        return await send(reply, await facade.registerSmartCard(id, read.value.csn, read.value.crous, hash))
      })

      api.patch(`${V1}/rightholders/:id/smartcard/:idZdc`, async (request, reply) => {
        const { id, idZdc } = request.params as { id: string, idZdc: string }
        const number = readIdZdc(idZdc)
        const uid = typeof request.headers.uid === 'string' ? request.headers.uid : undefined
        const bad = [...illFormed({ identifier: id, uid, body: request.body }), ...(number === undefined ? [{ field: 'idZdc', message: 'must be a card number of 1 to 15 digits' }] : [])]
        const read = readCardPatch(request.body, timeZone)
        if (bad.length > 0 || !read.ok || number === undefined) return await refuse(request, reply, [...bad, ...(read.ok ? [] : read.errors)])
        const hash = callHash({ method: 'PATCH', route: 'smartcard', params: { id, idZdc: number }, uid, body: request.body })
        return await send(reply, await facade.patchSmartCard(id, number, uid, read.value, hash))
      })

      api.get(`${V1}/crous/:numeroCrous/organization/:rne`, async (_request, reply) => await send(reply, facade.tariffRules()))

      api.delete(`${V1}/closed-rightholders/:id`, async (request, reply) => {
        const { id } = request.params as { id: string }
        const bad = illFormed({ identifier: id })
        if (bad.length > 0) return await refuse(request, reply, bad)
        return await send(reply, await facade.uncloseRightHolder(id, correlation(request)))
      })
    })
  }
}

/** `Authorization: Basic base64(clientId:clientSecret)`; undefined when absent or malformed. */
function basicClient (header: string | undefined): ApiCrousClient | undefined {
  if (typeof header !== 'string' || !/^basic /i.test(header)) return undefined
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) return undefined
  return { clientId: decoded.slice(0, colon), clientSecret: decoded.slice(colon + 1) }
}
