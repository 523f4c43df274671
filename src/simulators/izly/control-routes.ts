import type { FastifyInstance } from 'fastify'
import type { IzlySimulatorControls, OutageMode } from './controls.ts'
import type { ScriptedFaultInput } from './fault-script.ts'
import type { CardSeed, HolderPatch } from './state.ts'

export const CONTROL_PREFIX = '/control'

/**
 * The JSON control API of the simulator, a thin HTTP face of IzlySimulatorControls. A bad body is a
 * 400 naming the field.
 */
export async function controlRoutes (app: FastifyInstance, options: { controls: IzlySimulatorControls }): Promise<void> {
  const { controls } = options

  app.setErrorHandler((error, _request, reply) => {
    const status = error instanceof TypeError ? 400 : (error as { statusCode?: number }).statusCode ?? 500
    return reply.code(status).send({ error: error instanceof Error ? error.message : String(error) })
  })

  app.get('/state', async () => controls.dumpState())
  app.post('/reset', async (_request, reply) => { controls.reset(); return reply.code(204).send() })

  app.get('/calls', async () => ({ calls: controls.listCalls() }))
  app.delete('/calls', async (_request, reply) => { controls.clearCalls(); return reply.code(204).send() })

  app.get('/faults', async () => controls.listFaults())
  app.post<{ Body: ScriptedFaultInput }>('/faults', async (request, reply) => reply.code(201).send(controls.scriptFault(request.body)))
  app.delete('/faults', async (_request, reply) => { controls.clearFaults(); return reply.code(204).send() })
  app.delete<{ Params: { id: string } }>('/faults/:id', async (request, reply) =>
    reply.code(controls.removeFault(request.params.id) ? 204 : 404).send())

  app.get('/outage', async () => ({ mode: controls.outage }))
  app.put<{ Body: { mode: OutageMode } }>('/outage', async (request) => {
    controls.setOutage(request.body?.mode)
    return { mode: controls.outage }
  })

  app.get('/latency', async () => ({ ms: controls.latencyMs }))
  app.put<{ Body: { ms: number } }>('/latency', async (request) => {
    controls.setLatency(request.body?.ms)
    return { ms: controls.latencyMs }
  })

  app.put<{ Params: { identifier: string }, Body: HolderPatch }>('/holders/:identifier', async (request) =>
    controls.patchHolder(request.params.identifier, request.body ?? {}))
  app.post<{ Params: { identifier: string } }>('/holders/:identifier/lock', async (request) =>
    controls.lockHolder(request.params.identifier))
  app.post<{ Params: { identifier: string } }>('/holders/:identifier/unlock', async (request) =>
    controls.unlockHolder(request.params.identifier))

  app.put<{ Params: { idZdc: string }, Body: CardSeed }>('/cards/:idZdc', async (request) => {
    const seed = request.body
    if (seed === null || typeof seed !== 'object') throw new TypeError('a card is an object')
    return controls.putCard({ ...seed, smartCard: { ...seed.smartCard, idZdc: request.params.idZdc } })
  })
}
