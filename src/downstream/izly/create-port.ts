import type { Logger } from 'pino'
import type { IzlyConfig } from '../../config/config.ts'
import { createIzlyClient } from './client.ts'
import type { IzlyPort } from './port.ts'
import { createIzlyRestClient, type IzlyRestClient } from './rest-client.ts'

/**
 * The Izly port on the configured transport: the API CROUS (REST) with IZLY_API_URL, else the SOAP card
 * service at IZLY_SOAP_URL (or `soapEndpoint`, the demo's simulator). Call once per process and share.
 */
export async function createIzlyPort (izly: IzlyConfig, soapEndpoint?: string): Promise<IzlyPort> {
  if (izly.transport === 'rest') {
    const { apiUrl, clientId, clientSecret } = izly
    // loadConfig requires them with IZLY_API_URL; the demo fills them in from its simulator.
    if (apiUrl === undefined || clientId === undefined || clientSecret === undefined) throw new Error('no API CROUS endpoint: set IZLY_API_URL, IZLY_CLIENT_ID and IZLY_CLIENT_SECRET')
    return createIzlyRestClient({ apiUrl, accessUrl: izly.accessUrl, clientId, clientSecret, timeoutMs: izly.timeoutMs })
  }
  const endpoint = soapEndpoint ?? izly.soapUrl
  if (endpoint === undefined) throw new Error('no Izly endpoint: set IZLY_SOAP_URL or IZLY_API_URL, or run with SIMULATORS=on')
  return await createIzlyClient({
    endpoint,
    ...(izly.username !== undefined && izly.password !== undefined ? { username: izly.username, password: izly.password } : {}),
    timeoutMs: izly.timeoutMs,
  })
}

export function isRestClient (port: IzlyPort): port is IzlyRestClient {
  return (port as Partial<IzlyRestClient>).transport === 'rest'
}

/**
 * Says at start-up which transport runs and, over the API CROUS, whether a token can be had: the
 * first thing to look at when pointing the gateway at CROUS. Never blocks the start, never throws.
 */
export async function announceIzlyTransport (port: IzlyPort, izly: IzlyConfig, logger: Logger): Promise<void> {
  if (!isRestClient(port)) {
    logger.info({ transport: 'soap', endpoint: izly.soapUrl ?? '(simulator)' }, 'Izly transport: SOAP card service')
    return
  }
  try {
    const { lifetimeSeconds, tokenUrl } = await port.checkToken({ correlationId: 'startup' })
    logger.info({ transport: 'rest', apiUrl: izly.apiUrl, tokenUrl, tokenLifetimeSeconds: lifetimeSeconds ?? null }, 'Izly transport: API CROUS; a token was obtained')
  } catch (error) {
    logger.warn({ transport: 'rest', apiUrl: izly.apiUrl, err: error instanceof Error ? error.message : String(error) }, 'Izly transport: API CROUS; no token yet (calls retry with back-off until one is had)')
  }
}
