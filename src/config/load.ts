import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { ESC_CARD_TYPES, type EscCardType, isPic } from '../domain/esc-identifiers.ts'
import type { ApiCrousFacadeConfig, Config, EscOnDisable, GatewayRole, IzlyConfig } from './config.ts'
import { type AdminToken, parseAdminTokens } from './admin-tokens.ts'
import { loadProtectionConfig } from './protection-config.ts'
import { loadRedisConfig } from './redis-config.ts'

/** A configuration problem, always naming the variable: the process prints it on one line and stops. */
export class ConfigError extends Error {
  readonly variable: string
  constructor (variable: string, problem: string) {
    super(`${variable}: ${problem}`)
    this.name = 'ConfigError'
    this.variable = variable
  }
}

type Env = Readonly<Record<string, string | undefined>>

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/**
 * Reads the environment once, fills defaults, checks every value and returns a frozen Config.
 * A secret may come from a file named by `<NAME>_FILE` (mounted secrets), never from the repository.
 */
export function loadConfig (env: Env = process.env): Config {
  const read = (name: string): string | undefined => readVariable(env, name)

  const redis = redisUrl(read)
  const izlySoapUrl = optionalUrl(read, 'IZLY_SOAP_URL')
  const izlyApiUrl = optionalUrl(read, 'IZLY_API_URL')
  const escUrl = optionalUrl(read, 'ESC_ROUTER_URL')
  const esc = { token: escToken(read, escUrl), pic: pic(read, escUrl) }
  // The bare demo: nothing points the gateway anywhere. Beside a configured Redis or downstream the
  // simulators never switch on by themselves: a worker whose secret lacks its Izly URL would otherwise
  // "oppose" real cards at an in-process simulator.
  const redisGiven = read('REDIS_URL') !== undefined || read('REDIS_SENTINELS') !== undefined
  const bareDemo = !redisGiven && izlySoapUrl === undefined && izlyApiUrl === undefined && escUrl === undefined
  const simulators = parseSwitch(read, 'SIMULATORS', bareDemo)
  // Exactly one Izly endpoint, or the simulators: an error naming IZLY_SOAP_URL and IZLY_API_URL otherwise.
  const izlyChoice = izlyTransport(read, simulators, izlySoapUrl, izlyApiUrl)
  // Credentials are generated (and printed by the demo) only for the bare demo, never beside a configuration.
  const generate = simulators && bareDemo
  const izlyUsername = read('IZLY_USERNAME')
  const izlyPassword = read('IZLY_PASSWORD')
  if ((izlyUsername === undefined) !== (izlyPassword === undefined)) {
    throw new ConfigError(izlyUsername === undefined ? 'IZLY_USERNAME' : 'IZLY_PASSWORD', 'IZLY_USERNAME and IZLY_PASSWORD go together')
  }
  if (izlyUsername !== undefined && izlySoapUrl !== undefined && !isTlsOrLoopback(izlySoapUrl)) {
    // The UsernameToken carries the password in clear (PasswordText): only TLS protects it.
    throw new ConfigError('IZLY_SOAP_URL', 'must be https:// when IZLY_USERNAME is set (the WS-Security password would travel in clear)')
  }

  const role = oneOf<GatewayRole>(read, 'GATEWAY_ROLE', ['api', 'worker', 'all'], 'all')
  let sgcSecrets = list(read('SGC_HMAC_SECRETS'))
  let sgcSecretGenerated = false
  if (sgcSecrets.length === 0 && role !== 'worker') {
    if (!generate) throw new ConfigError('SGC_HMAC_SECRETS', 'required: comma-separated secrets the SGC signs events with')
    sgcSecrets = [randomBytes(24).toString('base64url')]
    sgcSecretGenerated = true
  }
  for (const secret of sgcSecrets) {
    if (secret.length < 16) throw new ConfigError('SGC_HMAC_SECRETS', 'each secret must be at least 16 characters')
  }

  let adminOperators = adminTokenList(read)
  let adminTokenGenerated = false
  if (adminOperators.length === 0 && generate) {
    adminOperators = [{ name: 'demo', token: randomBytes(18).toString('base64url') }]
    adminTokenGenerated = true
  }
  const adminTokens = adminOperators.map(({ token }) => token)

  // The demo opens the validity interfaces with generated credentials, printed at start; elsewhere none means closed.
  let crousApiKeys = list(read('CROUS_API_KEYS'))
  const crousApiKeyGenerated = crousApiKeys.length === 0 && generate
  if (crousApiKeyGenerated) crousApiKeys = [randomBytes(18).toString('base64url')]
  let crousSoapUsers = soapUsers(read)
  const crousSoapUserGenerated = crousSoapUsers.length === 0 && generate
  if (crousSoapUserGenerated) crousSoapUsers = [{ user: 'crous-demo', password: randomBytes(18).toString('base64url') }]
  // ESUP-SGC's ESC connector sends one of these as `Authorization: Bearer <key>` (several during a rotation).
  let escFacadeKeys = list(read('SGC_ESC_KEYS'))
  const escFacadeKeysGenerated = escFacadeKeys.length === 0 && generate
  if (escFacadeKeysGenerated) escFacadeKeys = [randomBytes(18).toString('base64url')]
  for (const key of escFacadeKeys) {
    if (key.length < 16) throw new ConfigError('SGC_ESC_KEYS', 'each key must be at least 16 characters')
  }
  const routerStatusUrl = optionalUrl(read, 'ESC_ROUTER_STATUS_URL') ?? escUrl
  const pseudonym = pseudonymKey(read, simulators)

  const port = integer(read, 'PORT', 3000, 0, 65535)
  // Both façades wait this long for their real peer on a read.
  const facadeReadDeadlineMs = integer(read, 'FACADE_READ_DEADLINE_MS', 2000, 50, 25_000)
  const config: Config = {
    port,
    host: read('HOST') ?? '127.0.0.1',
    redisUrl: redis,
    redisUrlGiven: redisGiven,
    redis: loadRedisConfig(read, { url: read('REDIS_URL'), simulators }),
    redisRequestTimeoutMs: integer(read, 'REDIS_REQUEST_TIMEOUT_MS', 1000, 50, 60_000),
    role,
    simulators,
    izly: {
      ...izlyChoice,
      soapUrl: izlySoapUrl,
      username: izlyUsername,
      password: izlyPassword,
      timeoutMs: integer(read, 'IZLY_TIMEOUT_MS', 30_000, 100, 600_000),
      ineAsIdentifier: parseSwitch(read, 'IZLY_INE_AS_IDENTIFIER', false),
    },
    esc: {
      url: escUrl,
      token: esc.token,
      pic: esc.pic,
      onDisable: oneOf<EscOnDisable>(read, 'ESC_ON_DISABLE', ['inactive', 'delete'], 'inactive'),
      cardType: oneOf<EscCardType>(read, 'ESC_CARD_TYPE', ESC_CARD_TYPES, 'SMART_NO_CDZ'),
      timeoutMs: integer(read, 'ESC_TIMEOUT_MS', 10_000, 100, 600_000),
    },
    sgcSecrets,
    sgcSecretGenerated,
    crousApiKeys,
    crousSoapUsers,
    crousApiKeyGenerated,
    crousSoapUserGenerated,
    validity: {
      routerStatusUrl,
      routerTimeoutMs: integer(read, 'ROUTER_STATUS_TIMEOUT_MS', 2000, 50, 60_000),
      routerCacheSeconds: integer(read, 'ROUTER_STATUS_CACHE_SECONDS', 60, 0, 86_400),
      routerNegativeCacheSeconds: integer(read, 'ROUTER_STATUS_NEGATIVE_CACHE_SECONDS', 30, 0, 86_400),
      routerCacheEntries: integer(read, 'ROUTER_STATUS_CACHE_ENTRIES', 10_000, 1, 10_000_000),
      soapMaxBodyBytes: integer(read, 'SOAP_MAX_BODY_BYTES', 16 * 1024, 1024, 1024 * 1024),
      soapMaxDepth: integer(read, 'SOAP_MAX_DEPTH', 32, 8, 256),
      timeZone: timeZone(read, 'VALIDITY_TIME_ZONE'),
      publicBaseUrl: optionalUrl(read, 'PUBLIC_BASE_URL')?.replace(/\/+$/, ''),
      publicHosts: publicHosts(read),
    },
    apiCrousFacade: apiCrousFacade(read, generate, facadeReadDeadlineMs),
    adminTokens,
    adminOperators,
    adminTokenGenerated,
    logLevel: oneOf(read, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    tracing: tracing(read),
    queue: {
      prefix: prefix(read),
      opposeConcurrency: integer(read, 'OPPOSE_CONCURRENCY', 16, 1, 1000),
      enableConcurrency: integer(read, 'ENABLE_CONCURRENCY', 8, 1, 1000),
      retryBaseMs: integer(read, 'RETRY_BASE_MS', 1000, 1, 3_600_000),
      retryMaxMs: integer(read, 'RETRY_MAX_MS', 300_000, 1, 86_400_000),
      lockMs: integer(read, 'JOB_LOCK_MS', 60_000, 1000, 3_600_000),
      stalledCheckMs: integer(read, 'STALLED_CHECK_MS', 15_000, 500, 3_600_000),
      sweepIntervalMs: integer(read, 'SWEEP_INTERVAL_MS', 10_000, 100, 3_600_000),
      breakerFailures: integer(read, 'BREAKER_FAILURES', 5, 0, 1_000_000),
      breakerOpenMs: integer(read, 'BREAKER_OPEN_MS', 15_000, 50, 3_600_000),
      doubtfulFaultMaxMs: integer(read, 'DOUBTFUL_FAULT_MAX_MS', 3_600_000, 0, 7 * 86_400_000),
    },
    retention: {
      idempotencyDays: integer(read, 'IDEMPOTENCY_RETENTION_DAYS', 90, 1, 3650),
      timelineDays: integer(read, 'TIMELINE_RETENTION_DAYS', 180, 1, 3650),
      endedCardDays: integer(read, 'ENDED_CARD_RETENTION_DAYS', 395, 1, 3650),
    },
    http: {
      requestTimeoutMs: integer(read, 'REQUEST_TIMEOUT_MS', 30_000, 1000, 600_000),
      headersTimeoutMs: integer(read, 'HEADERS_TIMEOUT_MS', 10_000, 1000, 600_000),
      keepAliveTimeoutMs: integer(read, 'KEEP_ALIVE_TIMEOUT_MS', 72_000, 1000, 600_000),
    },
    pseudonymKey: pseudonym.key,
    pseudonymKeyGenerated: pseudonym.generated,
    shutdown: {
      timeoutMs: integer(read, 'SHUTDOWN_TIMEOUT_MS', 30_000, 1000, 3_600_000),
      delayMs: integer(read, 'SHUTDOWN_DELAY_MS', 0, 0, 600_000),
    },
    occurredAtMaxAheadSeconds: integer(read, 'OCCURRED_AT_MAX_AHEAD_SECONDS', 300, 0, 86_400),
    escFacade: { keys: escFacadeKeys, keysGenerated: escFacadeKeysGenerated },
    facadeReadDeadlineMs,
    bodyLimitBytes: integer(read, 'BODY_LIMIT_BYTES', 64 * 1024, 1024, 64 * 1024 * 1024),
    batchBodyLimitBytes: integer(read, 'BATCH_BODY_LIMIT_BYTES', 8 * 1024 * 1024, 1024, 256 * 1024 * 1024),
    protection: loadProtectionConfig(read, port),
  }
  if (config.shutdown.delayMs >= config.shutdown.timeoutMs) {
    throw new ConfigError('SHUTDOWN_DELAY_MS', `must be less than SHUTDOWN_TIMEOUT_MS (${config.shutdown.timeoutMs})`)
  }
  if (config.queue.retryMaxMs < config.queue.retryBaseMs) {
    throw new ConfigError('RETRY_MAX_MS', `must be at least RETRY_BASE_MS (${config.queue.retryBaseMs})`)
  }
  if (config.http.headersTimeoutMs > config.http.requestTimeoutMs) {
    // Node refuses a server whose headers may take longer than the whole request.
    throw new ConfigError('HEADERS_TIMEOUT_MS', `must not exceed REQUEST_TIMEOUT_MS (${config.http.requestTimeoutMs})`)
  }
  if (config.izly.timeoutMs >= config.queue.lockMs) {
    throw new ConfigError('JOB_LOCK_MS', `must exceed IZLY_TIMEOUT_MS (${config.izly.timeoutMs}) so a slow call never loses its lock`)
  }
  if (config.esc.timeoutMs >= config.queue.lockMs) {
    throw new ConfigError('JOB_LOCK_MS', `must exceed ESC_TIMEOUT_MS (${config.esc.timeoutMs}) so a slow call never loses its lock`)
  }
  return deepFreeze(config)
}

/**
 * Which transport carries the Izly port (SPEC §5, §9): exactly one of IZLY_SOAP_URL (SOAP) and
 * IZLY_API_URL (the CNOUS API CROUS, REST, with its client credentials), or the simulators, whose face
 * IZLY_TRANSPORT picks.
 */
function izlyTransport (read: Reader, simulators: boolean, soapUrl: string | undefined, apiUrl: string | undefined): Pick<IzlyConfig, 'transport' | 'apiUrl' | 'accessUrl' | 'clientId' | 'clientSecret'> {
  if (soapUrl !== undefined && apiUrl !== undefined) {
    throw new ConfigError('IZLY_SOAP_URL, IZLY_API_URL', 'set exactly one: IZLY_SOAP_URL for the SOAP transport, or IZLY_API_URL for the API CROUS (REST), not both')
  }
  if (!simulators && soapUrl === undefined && apiUrl === undefined) {
    throw new ConfigError('IZLY_SOAP_URL, IZLY_API_URL', 'one is required when SIMULATORS=off: IZLY_API_URL for the API CROUS (https://api.lescrous.fr, pre-production https://api-pp.nuonet.fr), or IZLY_SOAP_URL for a SOAP Izly card service; SIMULATORS=on runs the in-process simulators instead')
  }
  const implied = apiUrl !== undefined ? 'rest' : soapUrl !== undefined ? 'soap' : undefined
  const transport = oneOf<'soap' | 'rest'>(read, 'IZLY_TRANSPORT', ['soap', 'rest'], implied ?? 'soap')
  if (implied !== undefined && transport !== implied) {
    throw new ConfigError('IZLY_TRANSPORT', `is ${transport} but ${implied === 'rest' ? 'IZLY_API_URL' : 'IZLY_SOAP_URL'} is set: the transport follows the URL given (leave IZLY_TRANSPORT unset)`)
  }
  const accessUrl = optionalUrl(read, 'IZLY_ACCESS_URL') ?? 'https://acces.lescrous.fr'
  const clientId = read('IZLY_CLIENT_ID')
  const clientSecret = read('IZLY_CLIENT_SECRET')
  if (apiUrl !== undefined) {
    if (/\/beforeizly(\/v1)?\/?$/.test(new URL(apiUrl).pathname)) {
      throw new ConfigError('IZLY_API_URL', 'is the API base (e.g. https://api.lescrous.fr), without /beforeizly/v1: the gateway adds it')
    }
    for (const [name, value] of [['IZLY_CLIENT_ID', clientId], ['IZLY_CLIENT_SECRET', clientSecret]] as const) {
      if (value === undefined) throw new ConfigError(name, 'required with IZLY_API_URL (the OAuth2 client credentials CNOUS issues to the institution)')
    }
    if (clientId?.includes(':') === true) throw new ConfigError('IZLY_CLIENT_ID', 'cannot contain ":" (it is sent in HTTP Basic)')
    // The bearer token and the client secret travel in clear otherwise.
    if (!isTlsOrLoopback(apiUrl)) throw new ConfigError('IZLY_API_URL', 'must be https:// (the access token would travel in clear)')
    if (!isTlsOrLoopback(accessUrl)) throw new ConfigError('IZLY_ACCESS_URL', 'must be https:// (the client secret would travel in clear)')
  }
  return { transport, apiUrl, accessUrl, clientId, clientSecret }
}

function readVariable (env: Env, name: string): string | undefined {
  const file = env[`${name}_FILE`]
  if (file !== undefined && file !== '') {
    try {
      return readFileSync(file, 'utf8').trim()
    } catch (error) {
      throw new ConfigError(`${name}_FILE`, `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
    }
  }
  const value = env[name]
  return value === undefined || value.trim() === '' ? undefined : value.trim()
}

export type Reader = (name: string) => string | undefined

function list (value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((item) => item.trim()).filter((item) => item !== '')
}

export function integer (read: Reader, name: string, fallback: number, min: number, max: number): number {
  const raw = read(name)
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`)
  const value = Number(raw)
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`)
  return value
}

export function oneOf<T extends string> (read: Reader, name: string, allowed: readonly string[], fallback: T): T {
  const raw = read(name)
  if (raw === undefined) return fallback
  if (!allowed.includes(raw)) throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${raw}"`)
  return raw as T
}

export function parseSwitch (read: Reader, name: string, fallback: boolean): boolean {
  const raw = read(name)
  if (raw === undefined) return fallback
  if (['on', 'true', '1', 'yes'].includes(raw.toLowerCase())) return true
  if (['off', 'false', '0', 'no'].includes(raw.toLowerCase())) return false
  throw new ConfigError(name, `expected on or off, got "${raw}"`)
}

function optionalUrl (read: Reader, name: string): string | undefined {
  const raw = read(name)
  if (raw === undefined) return undefined
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(name, `not a URL: "${raw}"`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(name, 'must be an http(s) URL')
  return raw
}

/**
 * The standard OpenTelemetry variables the gateway acts on. The OTLP endpoints are checked here, for a
 * start-up error naming them; the exporter reads them (and OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT…) itself.
 */
function tracing (read: Reader): Config['tracing'] {
  const exporter = oneOf<Config['tracing']['exporter']>(read, 'OTEL_TRACES_EXPORTER', ['none', 'otlp', 'console'], 'none')
  optionalUrl(read, 'OTEL_EXPORTER_OTLP_ENDPOINT')
  optionalUrl(read, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')
  return { exporter, serviceName: read('OTEL_SERVICE_NAME') ?? 'leocarte-gateway' }
}

function isTlsOrLoopback (raw: string): boolean {
  const url = new URL(raw)
  return url.protocol === 'https:' || ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
}

function redisUrl (read: Reader): string {
  const raw = read('REDIS_URL') ?? 'redis://127.0.0.1:6379'
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError('REDIS_URL', 'not a URL (expected redis://host:port or rediss://...)')
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new ConfigError('REDIS_URL', 'must start with redis:// or rediss://')
  return raw
}

function pic (read: Reader, escUrl: string | undefined): string | undefined {
  const raw = read('ESC_PIC')
  if (raw !== undefined && !isPic(raw)) throw new ConfigError('ESC_PIC', 'must be the 9-digit Participant Identification Code')
  if (raw === undefined && escUrl !== undefined) throw new ConfigError('ESC_PIC', 'required with ESC_ROUTER_URL (the institution\'s 9-digit PIC)')
  return raw
}

function escToken (read: Reader, escUrl: string | undefined): string | undefined {
  const raw = read('ESC_ROUTER_TOKEN')
  if (raw === undefined && escUrl !== undefined) throw new ConfigError('ESC_ROUTER_TOKEN', 'required with ESC_ROUTER_URL (the router API token)')
  if (raw !== undefined && /\s/.test(raw)) throw new ConfigError('ESC_ROUTER_TOKEN', 'a token has no spaces')
  return raw
}

function timeZone (read: Reader, name: string): string {
  const raw = read(name) ?? 'Europe/Paris'
  try {
    // Throws a RangeError for a zone the runtime does not know.
    new Intl.DateTimeFormat('en-CA', { timeZone: raw })
  } catch {
    throw new ConfigError(name, `not an IANA time zone: "${raw}"`)
  }
  return raw
}

/** The API CROUS façade: on with SGC_CROUS_CLIENTS (the bare demo generates one client). */
function apiCrousFacade (read: Reader, generate: boolean, readDeadlineMs: number): ApiCrousFacadeConfig {
  const clients = list(read('SGC_CROUS_CLIENTS')).map((pair) => {
    const colon = pair.indexOf(':')
    if (colon <= 0 || colon === pair.length - 1) throw new ConfigError('SGC_CROUS_CLIENTS', 'expected clientId:clientSecret pairs separated by commas')
    const client = { clientId: pair.slice(0, colon), clientSecret: pair.slice(colon + 1) }
    if (client.clientSecret.length < 16) throw new ConfigError('SGC_CROUS_CLIENTS', `the secret of client "${client.clientId}" must be at least 16 characters`)
    return client
  })
  const ids = clients.map(({ clientId }) => clientId)
  const repeated = ids.find((id, index) => ids.indexOf(id) !== index)
  if (repeated !== undefined) throw new ConfigError('SGC_CROUS_CLIENTS', `client "${repeated}" is listed twice`)
  const clientGenerated = clients.length === 0 && generate
  if (clientGenerated) clients.push({ clientId: 'esup-sgc-demo', clientSecret: randomBytes(18).toString('base64url') })
  return {
    clients,
    clientGenerated,
    timeZone: timeZone(read, 'SGC_TIME_ZONE'),
    readDeadlineMs,
    tokenTtlSeconds: integer(read, 'FACADE_TOKEN_TTL_SECONDS', 3600, 60, 86_400),
    bodyLimitBytes: integer(read, 'FACADE_BODY_LIMIT_BYTES', 16 * 1024, 1024, 1024 * 1024),
  }
}

function prefix (read: Reader): string {
  const raw = read('REDIS_PREFIX') ?? 'leo'
  // BullMQ job ids and key prefixes must not carry ':' in the wrong place; keep it a plain word.
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(raw)) throw new ConfigError('REDIS_PREFIX', 'letters, digits, _ and - only (1-64)')
  return raw
}

/** At least 32 characters (e.g. `openssl rand -base64 32`); only the bare demo may do without. */
function pseudonymKey (read: Reader, simulators: boolean): { key: string, generated: boolean } {
  const raw = read('PSEUDONYM_KEY')
  if (raw === undefined) {
    if (!simulators) throw new ConfigError('PSEUDONYM_KEY', 'required: the secret key of the hashes that stand for a person in Redis key names and timelines (at least 32 characters)')
    return { key: randomBytes(32).toString('base64url'), generated: true }
  }
  if (raw.length < 32) throw new ConfigError('PSEUDONYM_KEY', 'must be at least 32 characters')
  return { key: raw, generated: false }
}

/** `host[:port]` entries, lower case, as a Host header carries them. */
function publicHosts (read: Reader): string[] {
  const hosts = list(read('PUBLIC_HOSTS')).map((host) => host.toLowerCase())
  const bad = hosts.find((host) => !/^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/.test(host))
  if (bad !== undefined) throw new ConfigError('PUBLIC_HOSTS', `expected host or host:port entries separated by commas, got "${bad}"`)
  return hosts
}

function adminTokenList (read: Reader): AdminToken[] {
  try {
    return parseAdminTokens(list(read('ADMIN_TOKENS')))
  } catch (error) {
    throw new ConfigError('ADMIN_TOKENS', (error as Error).message)
  }
}

function soapUsers (read: Reader): Array<{ user: string, password: string }> {
  const users = list(read('CROUS_SOAP_USERS')).map((pair) => {
    const colon = pair.indexOf(':')
    if (colon <= 0 || colon === pair.length - 1) throw new ConfigError('CROUS_SOAP_USERS', 'expected user:password pairs separated by commas')
    return { user: pair.slice(0, colon), password: pair.slice(colon + 1) }
  })
  // Two passwords for one user would make the accepted one depend on list order.
  const names = users.map(({ user }) => user)
  const repeated = names.find((name, index) => names.indexOf(name) !== index)
  if (repeated !== undefined) throw new ConfigError('CROUS_SOAP_USERS', `user "${repeated}" is listed twice`)
  return users
}

function deepFreeze<T> (value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const field of Object.values(value)) deepFreeze(field)
    Object.freeze(value)
  }
  return value
}
