import { readFile } from 'node:fs/promises'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { IZLY_WSDL_PATH } from '../../downstream/izly/wsdl-contract.ts'
import { holdOrRefuse } from '../outage.ts'
import { headerOf, listenAt, type SimulatorServerOptions, simulatorApp } from '../server.ts'
import { CONTROL_PREFIX, controlRoutes } from './control-routes.ts'
import { IzlySimulatorControls } from './controls.ts'
import { createIzlySoapService, SOAP_PATH, type SoapExchange, soapExchange } from './soap-service.ts'

export interface IzlySimulatorOptions extends SimulatorServerOptions {
  /** When both are set, SOAP calls without this WS-Security UsernameToken get a 401 IzlyFault. */
  username?: string
  password?: string
}

export interface IzlySimulator extends IzlySimulatorControls {
  /** The SOAP endpoint, for the client's `endpoint`. */
  readonly url: string
  /** The WSDL as served, with this simulator's address in soap:address. */
  readonly wsdlUrl: string
  /** Base of the JSON control API, e.g. `${controlUrl}/calls`. */
  readonly controlUrl: string
  close (): Promise<void>
}

/**
 * An in-process Izly card service, from the same WSDL as the client, with a JSON control API for
 * tests, the demo and fault drills (faults, outages, latency, locked holders).
 */
export async function startIzlySimulator (options: IzlySimulatorOptions = {}): Promise<IzlySimulator> {
  if ((options.username === undefined) !== (options.password === undefined)) {
    throw new TypeError('Izly simulator: username and password go together')
  }
  const credentials = options.username !== undefined && options.password !== undefined
    ? { username: options.username, password: options.password }
    : undefined
  const controls = new IzlySimulatorControls()
  const wsdlXml = await readFile(IZLY_WSDL_PATH, 'utf8')
  const soapService = await createIzlySoapService(wsdlXml, controls, credentials)
  // Aborted on close, so that calls held back by the latency setting do not hold the close up.
  const closing = new AbortController()

  const app = simulatorApp(options)
  app.addContentTypeParser(['text/xml', 'application/soap+xml', 'application/xml'], { parseAs: 'string' }, (_request, body, done) => {
    done(null, body)
  })
  await app.register(controlRoutes, { prefix: CONTROL_PREFIX, controls })

  let servedWsdl = wsdlXml
  app.get(SOAP_PATH, async (request, reply) => {
    if (!Object.hasOwn(request.query as object, 'wsdl')) return reply.code(404).send()
    return reply.type('text/xml; charset=utf-8').send(servedWsdl)
  })

  app.post(SOAP_PATH, async (request, reply) => {
    // A Fastify reply is thenable: the counted part hands back nothing, the handler returns the reply.
    await controls.counted(async () => { await answerSoap(request, reply) })
    return reply
  })

  async function answerSoap (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const handled = await holdOrRefuse(controls, closing.signal, request, reply, {
      record: () => controls.calls.push({ operation: operationOf(request), at: Date.now(), correlationId: headerOf(request, 'x-correlation-id'), httpStatus: 503, code: 'outage' }),
      contentType: 'text/plain',
      body: 'Izly simulator: outage',
    })
    if (handled) return
    const exchange: SoapExchange = {}
    const answer = await soapExchange.run(exchange, () =>
      soapService.processRequest(typeof request.body === 'string' ? request.body : '', { url: request.url, headers: request.headers }))
    if (exchange.bare !== undefined) {
      const { status, retryAfterSeconds } = exchange.bare
      if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds))
      reply.code(status).type('text/plain').send(`Izly simulator: scripted HTTP ${status}`)
      return
    }
    reply.code(answer.statusCode).headers(answer.headers).send(answer.body)
  }

  const base = await listenAt(app, options, 'Izly simulator')
  const url = `${base}${SOAP_PATH}`
  servedWsdl = wsdlXml.replace(/(<soap:address\s+location=")[^"]*(")/, `$1${url}$2`)
  app.log.info({ url, controlUrl: `${base}${CONTROL_PREFIX}`, wsSecurity: credentials !== undefined }, 'Izly simulator listening')

  return Object.assign(controls, {
    url,
    wsdlUrl: `${url}?wsdl`,
    controlUrl: `${base}${CONTROL_PREFIX}`,
    async close (): Promise<void> {
      closing.abort()
      await app.close()
    },
  })
}

/** The operation named by the SOAPAction header (`"urn:leocarte:izly-card-service:v1:OpposeSmartCard"`). */
function operationOf (request: FastifyRequest): string {
  const action = (headerOf(request, 'soapaction') ?? '').replace(/"/g, '')
  return action.slice(Math.max(action.lastIndexOf(':'), action.lastIndexOf('/')) + 1) || 'unknown'
}
