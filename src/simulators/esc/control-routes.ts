import type { FastifyInstance } from 'fastify'
import { commonControlRoutes } from '../control-routes.ts'
import type { EscSimulatorControls } from './controls.ts'

export { CONTROL_PREFIX } from '../control-routes.ts'

/** The ESC simulator's control API: the common switches, and persons of other organisations. */
export async function controlRoutes (app: FastifyInstance, options: { controls: EscSimulatorControls }): Promise<void> {
  const { controls } = options
  await commonControlRoutes(app, controls)
  app.put<{ Body: { esi: string, organisationIdentifier: string } }>('/foreign-persons', async (request, reply) =>
    reply.code(201).send(controls.seedPerson(request.body?.esi, request.body?.organisationIdentifier)))
}
