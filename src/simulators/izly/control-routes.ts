import type { FastifyInstance } from 'fastify'
import { commonControlRoutes } from '../control-routes.ts'
import type { IzlySimulatorControls } from './controls.ts'
import type { CardSeed, HolderPatch } from './state.ts'

export { CONTROL_PREFIX } from '../control-routes.ts'

/** The Izly simulator's control API: the common switches, holders and cards seeded as is, and the REST face's tokens. */
export async function controlRoutes (app: FastifyInstance, options: { controls: IzlySimulatorControls }): Promise<void> {
  const { controls } = options
  await commonControlRoutes(app, controls)

  app.put<{ Params: { identifier: string }, Body: HolderPatch }>('/holders/:identifier', async (request) =>
    controls.patchHolder(request.params.identifier, request.body ?? {}))
  app.post<{ Params: { identifier: string } }>('/holders/:identifier/lock', async (request) =>
    controls.lockHolder(request.params.identifier))
  app.post<{ Params: { identifier: string } }>('/holders/:identifier/unlock', async (request) =>
    controls.unlockHolder(request.params.identifier))

  app.get('/tokens', async () => ({ issued: controls.tokens.issued, ttlSeconds: controls.tokens.settings.ttlSeconds }))
  app.put<{ Body: { ttlSeconds: number } }>('/tokens/ttl', async (request) => {
    controls.setTokenTtl(request.body?.ttlSeconds)
    return { ttlSeconds: controls.tokens.settings.ttlSeconds }
  })
  app.post('/tokens/revoke', async (_request, reply) => { controls.revokeTokens(); return reply.code(204).send() })

  app.put<{ Params: { idZdc: string }, Body: CardSeed }>('/cards/:idZdc', async (request) => {
    const seed = request.body
    if (seed === null || typeof seed !== 'object') throw new TypeError('a card is an object')
    return controls.putCard({ ...seed, smartCard: { ...seed.smartCard, idZdc: request.params.idZdc } })
  })
}
