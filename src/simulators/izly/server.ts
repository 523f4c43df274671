import { readFile } from 'node:fs/promises'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { IZLY_WSDL_PATH } from '../../downstream/izly/wsdl-contract.ts'
import { holdOrRefuse } from '../outage.ts'
import { headerOf, listenAt, type SimulatorServerOptions, simulatorApp } from '../server.ts'
import { CONTROL_PREFIX, controlRoutes } from './control-routes.ts'
import { IzlySimulatorControls } from './controls.ts'
import { createRestApi } from './rest-api.ts'
import { createIzlySoapService, SOAP_PATH, type SoapExchange, soapExchange } from './soap-service.ts'

/** The REST face's client credentials when none are given (tests, the demo prints its own). */
export const SIMULATOR_CLIENT_ID = 'leocarte-simulator'
export const SIMULATOR_CLIENT_SECRET = 'leocarte-simulator-secret'

export interface IzlySimulatorOptions extends SimulatorServerOptions {
  /** When both are set, SOAP calls without this WS-Security UsernameToken get a 401 IzlyFault. */
  username?: string
  password?: string
  /** The one OAuth2 client the REST face's token endpoint accepts. @defaultValue SIMULATOR_CLIENT_ID / SIMULATOR_CLIENT_SECRET */
  clientId?: string
  clientSecret?: string
  /** expires_in of the tokens it issues. @defaultValue 3600 */
  tokenTtlSeconds?: number
  /** The clock tokens and due dates are judged by (tests). @defaultValue Date.now */
  now?: () => number
}

export interface IzlySimulator extends IzlySimulatorControls {
  /** The SOAP endpoint, for the client's `endpoint`. */
  readonly url: string
  /** The REST face's API base (IZLY_API_URL; resources under /beforeizly/v1) and access server base (IZLY_ACCESS_URL). */
  readonly apiUrl: string
  readonly accessUrl: string
  readonly clientId: string
  readonly clientSecret: string
  /** The WSDL as served, with this simulator's address in soap:address. */
  readonly wsdlUrl: string
  /** Base of the JSON control API, e.g. `${controlUrl}/calls`. */
  readonly controlUrl: string
  close (): Promise<void>
}

/**
 * An in-process Izly with two faces over one state: the card service of the gateway's WSDL (SOAP) and
 * the CNOUS API CROUS (REST, openapi/api-crous-v1.yaml, with its token endpoint), so that a card
 * registered over one is opposed over the other; and a JSON control API for tests, the demo and fault
 * drills (faults, outages, latency, locked holders, token lifetime and revocation).
 */
export async function startIzlySimulator (options: IzlySimulatorOptions = {}): Promise<IzlySimulator> {
  if ((options.username === undefined) !== (options.password === undefined)) {
    throw new TypeError('Izly simulator: username and password go together')
  }
  const credentials = options.username !== undefined && options.password !== undefined
    ? { username: options.username, password: options.password }
    : undefined
  const clientId = options.clientId ?? SIMULATOR_CLIENT_ID
  const clientSecret = options.clientSecret ?? SIMULATOR_CLIENT_SECRET
  const controls = new IzlySimulatorControls({ clientId, clientSecret, ttlSeconds: options.tokenTtlSeconds ?? 3600 }, options.now)
  const restApi = await createRestApi(controls)
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
      record: () => controls.calls.push({ operation: operationOf(request), transport: 'soap', at: Date.now(), correlationId: headerOf(request, 'x-correlation-id'), httpStatus: 503, code: 'outage' }),
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

  await app.register(async (rest) => {
    // The raw text goes to the validator, which parses it: malformed JSON is then the API's 400, not Fastify's.
    rest.removeAllContentTypeParsers()
    rest.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => { done(null, body) })
    rest.all('/beforeizly/*', async (request, reply) => {
      // Counted as the SOAP face's calls are (concurrentCalls); the thenable reply is returned outside.
      await controls.counted(async () => {
        const handled = await holdOrRefuse(controls, closing.signal, request, reply, {
          record: () => controls.calls.push({ operation: 'unknown', transport: 'rest', method: request.method, at: Date.now(), correlationId: headerOf(request, 'x-correlation-id'), httpStatus: 503, code: 'outage' }),
          // A load balancer's page, not the API's JSON: the client must read it leniently.
          contentType: 'text/html',
          body: '<html><body>503 Service Unavailable</body></html>',
        })
        if (!handled) sendRest(request, reply)
      })
      return reply
    })
    // The access server: another host in production, so the API's outage and latency switches leave it alone.
    for (const path of ['/api/oauth/token', '/api-pp/oauth/token']) {
      rest.post(path, async (request, reply) => {
        sendRest(request, reply)
        return reply
      })
    }
  })

  function sendRest (request: FastifyRequest, reply: FastifyReply): void {
    const answer = restApi({ method: request.method, path: request.url, headers: request.headers, body: typeof request.body === 'string' ? request.body : undefined })
    reply.code(answer.status).headers(answer.headers ?? {})
    if (answer.body === undefined) reply.send()
    else if (typeof answer.body === 'string') reply.type('text/plain').send(answer.body)
    else reply.type('application/json').send(JSON.stringify(answer.body))
  }

  const base = await listenAt(app, options, 'Izly simulator')
  const url = `${base}${SOAP_PATH}`
  servedWsdl = wsdlXml.replace(/(<soap:address\s+location=")[^"]*(")/, `$1${url}$2`)
  app.log.info({ url, apiUrl: base, controlUrl: `${base}${CONTROL_PREFIX}`, wsSecurity: credentials !== undefined }, 'Izly simulator listening')

  return Object.assign(controls, {
    url,
    apiUrl: base,
    accessUrl: base,
    clientId,
    clientSecret,
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
