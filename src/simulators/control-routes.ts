import type { FastifyInstance } from 'fastify'
import type { SimulatorControls } from './controls.ts'
import type { OutageMode } from './outage.ts'

export const CONTROL_PREFIX = '/control'

/**
 * The control API every simulator shares (state, reset, calls, faults, outage, latency), a thin HTTP
 * face of SimulatorControls; each simulator adds its own seeds. A bad body is a 400 naming the field.
 */
export async function commonControlRoutes<Input extends { times?: number }, Call> (app: FastifyInstance, controls: SimulatorControls<Input, Call>): Promise<void> {
  app.setErrorHandler((error, _request, reply) => {
    const status = error instanceof TypeError ? 400 : (error as { statusCode?: number }).statusCode ?? 500
    return reply.code(status).send({ error: error instanceof Error ? error.message : String(error) })
  })

  app.get('/state', async () => controls.dumpState())
  app.post('/reset', async (_request, reply) => { controls.reset(); return reply.code(204).send() })

  app.get('/calls', async () => ({ calls: controls.listCalls() }))
  app.delete('/calls', async (_request, reply) => { controls.clearCalls(); return reply.code(204).send() })

  app.get('/faults', async () => controls.listFaults())
  // The simulator's own check (a TypeError naming the field) decides what a fault may be.
  app.post('/faults', async (request, reply) => reply.code(201).send(controls.scriptFault(request.body as Input)))
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
}
