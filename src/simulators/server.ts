import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'

/** Where a simulator listens, and what it logs to. */
export interface SimulatorServerOptions {
  /** @defaultValue '127.0.0.1' */
  host?: string
  /** 0 picks a free port. @defaultValue 0 */
  port?: number
  /** Without one the simulator logs nothing. */
  logger?: FastifyBaseLogger
}

/** The Fastify app a simulator serves on: the given logger or none, no request logs, connections cut on close. */
export function simulatorApp (options: SimulatorServerOptions): FastifyInstance {
  return Fastify({
    ...(options.logger === undefined ? { logger: false } : { loggerInstance: options.logger }),
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
  })
}

/** Listens, and gives the base address (`http://127.0.0.1:<port>`); `name` words the error. */
export async function listenAt (app: FastifyInstance, options: SimulatorServerOptions, name: string): Promise<string> {
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error(`${name}: no TCP address`)
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return `http://${host}:${address.port}`
}

/** The first value of a request header. */
export function headerOf (request: { headers: Record<string, string | string[] | undefined> }, name: string): string | undefined {
  const value = request.headers[name]
  return Array.isArray(value) ? value[0] : value
}
