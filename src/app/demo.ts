import type { Logger } from 'pino'
import { randomBytes } from 'node:crypto'
import type { Config } from '../config/config.ts'
import { ESC_FACADE_BASE } from '../facade/esc-router/routes.ts'
import { startEscSimulator } from '../simulators/esc/server.ts'
import { startIzlySimulator } from '../simulators/izly/server.ts'
import type { EscEndpoint } from './gateway.ts'
import { isListening, type LocalRedis, redisServerInstalled, startLocalRedis } from './local-redis.ts'

/**
 * The variable `npm run demo:opposition` reads the demo's addresses (and generated secrets) from: `npm start`
 * prints it ready to paste. Nothing is written to disk, so no secret outlives the demo in a temp file.
 */
export const DEMO_VARIABLE = 'LEOCARTE_DEMO'

/** What the demo tells `npm run demo:opposition`; a secret the operator configured is never printed. */
export interface DemoInfo {
  gatewayUrl: string
  izlyControlUrl: string
  escControlUrl: string
  secret?: string
  adminToken?: string
  crousApiKey?: string
  /** The API CROUS façade's client (SGC_CROUS_CLIENTS), when generated for the demo. */
  crousClientId?: string
  crousClientSecret?: string
}

/**
 * For the demo scripts: what `npm start` told them in DEMO_VARIABLE. Unset or unreadable, the script ends
 * with one line saying how to get it.
 */
export function demoInfoOrExit (): DemoInfo {
  const raw = process.env[DEMO_VARIABLE]
  let info: DemoInfo | undefined
  try {
    info = raw === undefined ? undefined : JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as DemoInfo
  } catch {
    info = undefined
  }
  if (info === undefined) {
    process.stderr.write(`${DEMO_VARIABLE} is not set: start a demo with \`npm start\` and paste the command it prints\n`)
    process.exit(1)
  }
  return info
}

/** The demo's institution at the ESC simulator, when ESC_PIC does not name one. */
export const DEMO_PIC = '999999999'

export interface Demo {
  config: Config
  izlyEndpoint: string
  /** The in-process ESC Router simulator, with the token generated for this run. */
  escEndpoint: EscEndpoint
  announce (gatewayUrl: string | undefined): void
  close (): Promise<void>
}

/**
 * The local demonstration of `npm start` with no configuration: the in-process Izly and ESC Router simulators and,
 * when nothing answers on the default Redis address, a private redis-server (AOF on) in a temp folder.
 * Returns null after printing one line when no Redis can be had.
 */
export async function startDemo (config: Config, logger: Logger): Promise<Demo | null> {
  let redis: LocalRedis | undefined
  let effective = config
  if (!config.redisUrlGiven && !await isListening('127.0.0.1', 6379)) {
    if (!redisServerInstalled()) {
      process.stderr.write('leocarte-gateway: no Redis answers on 127.0.0.1:6379 and redis-server is not installed: install Redis (e.g. `apt-get install redis-server`) or set REDIS_URL\n')
      return null
    }
    redis = await startLocalRedis()
    effective = { ...config, redisUrl: redis.url }
    logger.info({ port: redis.port, dir: redis.dir }, 'started a private redis-server for the demo (AOF on)')
  }
  const clientSecret = randomBytes(18).toString('base64url')
  const simulator = await startIzlySimulator({ host: '127.0.0.1', port: 0, clientId: 'leocarte-demo', clientSecret, logger: logger.child({ component: 'izly-simulator' }) })
  // IZLY_TRANSPORT=rest: the gateway speaks the API CROUS to the simulator's REST face (same state).
  if (config.izly.transport === 'rest') {
    effective = { ...effective, izly: { ...effective.izly, apiUrl: simulator.apiUrl, accessUrl: simulator.accessUrl, clientId: simulator.clientId, clientSecret } }
  }
  const escEndpoint = { token: randomBytes(18).toString('base64url'), pic: config.esc.pic ?? DEMO_PIC }
  const escSimulator = await startEscSimulator({ host: '127.0.0.1', port: 0, ...escEndpoint, logger: logger.child({ component: 'esc-simulator' }) })

  return {
    config: effective,
    izlyEndpoint: simulator.url,
    escEndpoint: { ...escEndpoint, url: escSimulator.url },
    announce (gatewayUrl) {
      const secret = config.sgcSecrets[0] ?? ''
      const adminToken = config.adminTokens[0] ?? ''
      const crousApiKey = config.crousApiKeys[0] ?? ''
      const soapUser = config.crousSoapUsers[0]
      const facadeClient = config.apiCrousFacade.clients[0]
      const info: DemoInfo = {
        gatewayUrl: gatewayUrl ?? '',
        izlyControlUrl: simulator.controlUrl,
        escControlUrl: escSimulator.controlUrl,
        ...(config.sgcSecretGenerated ? { secret } : {}),
        ...(config.adminTokenGenerated ? { adminToken } : {}),
        ...(config.crousApiKeyGenerated ? { crousApiKey } : {}),
        ...(facadeClient !== undefined && config.apiCrousFacade.clientGenerated ? { crousClientId: facadeClient.clientId, crousClientSecret: facadeClient.clientSecret } : {}),
      }
      const lines = [
        '',
        'Léocarte gateway: local demonstration',
        `  gateway          ${gatewayUrl ?? '(worker only)'}`,
        effective.izly.transport === 'rest'
          ? `  Izly simulator   ${simulator.apiUrl}/beforeizly/v1  (API CROUS over REST, IZLY_TRANSPORT=rest; calls: GET ${simulator.controlUrl}/calls)`
          : `  Izly simulator   ${simulator.url}  (SOAP; IZLY_TRANSPORT=rest for the API CROUS face; calls: GET ${simulator.controlUrl}/calls)`,
        `  ESC simulator    ${escSimulator.url}  (PIC ${escEndpoint.pic}, token ${escEndpoint.token}; calls: GET ${escSimulator.controlUrl}/calls)`,
        `  Redis            ${effective.redisUrl}${redis !== undefined ? ' (private, AOF on)' : ''}`,
        config.sgcSecretGenerated ? `  SGC secret       ${secret}  (generated for this run; set SGC_HMAC_SECRETS to choose)` : '  SGC secret       from SGC_HMAC_SECRETS',
        config.adminTokenGenerated ? `  admin token      ${adminToken}  (generated; set ADMIN_TOKENS to choose)` : '  admin token      from ADMIN_TOKENS',
        config.crousApiKeyGenerated ? `  CROUS API key    ${crousApiKey}  (generated; set CROUS_API_KEYS to choose)` : '  CROUS API key    from CROUS_API_KEYS',
        config.crousSoapUserGenerated ? `  CROUS SOAP user  ${soapUser?.user ?? ''} / ${soapUser?.password ?? ''}  (generated; set CROUS_SOAP_USERS to choose)` : '  CROUS SOAP user  from CROUS_SOAP_USERS',
        facadeClient === undefined
          ? '  API CROUS façade off (set SGC_CROUS_CLIENTS to serve ESUP-SGC)'
          : `  API CROUS façade ${gatewayUrl ?? ''}/api-crous  (ESUP-SGC apiCrousService webUrl = accessUrl; clientId ${facadeClient.clientId}, clientSecret ${config.apiCrousFacade.clientGenerated ? `${facadeClient.clientSecret}  (generated; set SGC_CROUS_CLIENTS to choose)` : 'from SGC_CROUS_CLIENTS'})`,
        config.pseudonymKeyGenerated ? '  pseudonym key    generated for this run (set PSEUDONYM_KEY to keep holder keys and person references across restarts)' : '  pseudonym key    from PSEUDONYM_KEY',
        '',
        'Try it (posts a signed ENABLED then DISABLED/LOST event and shows what Izly received), in another terminal:',
        `  ${DEMO_VARIABLE}=${Buffer.from(JSON.stringify(info)).toString('base64url')} npm run demo:opposition`,
        'Replay an ESUP-SGC disable through the API CROUS façade while the Izly simulator is down, then up:',
        `  ${DEMO_VARIABLE}=${Buffer.from(JSON.stringify(info)).toString('base64url')} npm run demo:esup-sgc`,
        `Health:  ${gatewayUrl ?? ''}/health/ready    Metrics: ${gatewayUrl ?? ''}/metrics`,
        `Console: ${gatewayUrl ?? ''}/admin/console  (log in with the admin token)    Queues: ${gatewayUrl ?? ''}/admin/queues`,
        `Validity (CROUS, see the README):  curl -H 'X-API-Key: ${config.crousApiKeyGenerated ? crousApiKey : '<one of CROUS_API_KEYS>'}' ${gatewayUrl ?? ''}/crous/v1/cards/<csn|idZdc|escn>/validity    WSDL: ${gatewayUrl ?? ''}/crous/v1/soap?wsdl`,
        `ESUP-SGC's ESC connector (europeanStudentCardService):  webUrl ${gatewayUrl ?? ''}${ESC_FACADE_BASE}    key ${config.escFacade.keysGenerated ? (config.escFacade.keys[0] ?? '') + '  (generated; set SGC_ESC_KEYS to choose)' : 'one of SGC_ESC_KEYS'}`,
        '',
      ]
      process.stdout.write(lines.join('\n') + '\n')
    },
    async close () {
      await simulator.close()
      await escSimulator.close()
      await redis?.stop('SIGTERM', true)
    },
  }
}
