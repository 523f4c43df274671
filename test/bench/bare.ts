import Fastify from 'fastify'

export const BARE_PATH = '/bare'

/**
 * The baseline server: Fastify with one POST route that parses the JSON body (Fastify's own parser)
 * and answers 202 {}. No signature, schema, Redis or queue: what the framework alone costs.
 */
export async function startBareServer (): Promise<{ url: string, close: () => Promise<void> }> {
  const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 })
  app.post(BARE_PATH, async (request, reply) => {
    if (typeof request.body !== 'object' || request.body === null) return await reply.code(400).send({})
    return await reply.code(202).send({})
  })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { url, close: async () => await app.close() }
}
