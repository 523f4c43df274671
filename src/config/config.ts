import type { AdminToken } from './admin-tokens.ts'
import type { EscCardType } from '../domain/esc-identifiers.ts'
import type { EscOnDisable } from '../domain/esc-plan.ts'
import type { ProtectionConfig } from './protection-config.ts'

export type GatewayRole = 'api' | 'worker' | 'all'
export type { EscOnDisable }

export type IzlyTransport = 'soap' | 'rest'

export interface IzlyConfig {
  /**
   * Which transport carries the Izly port: `soap` with IZLY_SOAP_URL, `rest` (the CNOUS API CROUS) with
   * IZLY_API_URL; with the simulators, IZLY_TRANSPORT picks the simulator's face (default soap).
   */
  transport: IzlyTransport
  /** IZLY_SOAP_URL: the Izly card service endpoint; unset (and no IZLY_API_URL) only with the simulators. */
  soapUrl: string | undefined
  username: string | undefined
  password: string | undefined
  /** IZLY_API_URL: the API CROUS base (https://api.lescrous.fr, pre-production https://api-pp.nuonet.fr); a configured Izly endpoint as IZLY_SOAP_URL is. */
  apiUrl: string | undefined
  /** IZLY_ACCESS_URL: the token server's base. Default https://acces.lescrous.fr. */
  accessUrl: string
  /** IZLY_CLIENT_ID / IZLY_CLIENT_SECRET: the OAuth2 client credentials CNOUS issues; required with IZLY_API_URL. */
  clientId: string | undefined
  clientSecret: string | undefined
  /** IZLY_TIMEOUT_MS: per Izly call, everything included (a token request too), milliseconds. Default 30000 (CROUS calls can be slow). */
  timeoutMs: number
  /** IZLY_INE_AS_IDENTIFIER: key right holders by INE when no crousIdentifier is held. Default false. */
  ineAsIdentifier: boolean
}

export interface EscConfig {
  /** ESC_ROUTER_URL: REST base ending in `/esc-rest` (production or sandbox); unset with simulators off disables ESC. */
  url: string | undefined
  /** ESC_ROUTER_TOKEN: the API token (Bearer); required with ESC_ROUTER_URL. */
  token: string | undefined
  /** ESC_PIC: the institution's 9-digit PIC (person organisation, card issuer); required with ESC_ROUTER_URL. */
  pic: string | undefined
  /** ESC_ON_DISABLE: a disabled card becomes INACTIVE (`inactive`) or is deleted (`delete`). Default inactive. */
  onDisable: EscOnDisable
  /** ESC_CARD_TYPE: the router card type when the SGC gives none. Default SMART_NO_CDZ (a smart card without the ESC data zone). */
  cardType: EscCardType
  /** ESC_TIMEOUT_MS: connect, headers and body timeouts of each router call, milliseconds. Default 10000. */
  timeoutMs: number
}

/** The CROUS validity interfaces (SPEC §7): foreign-card lookups and the SOAP request limits. */
export interface ValidityConfig {
  /**
   * ESC_ROUTER_STATUS_URL: REST base (…/esc-rest) whose public `/api/v2/cards/{escn}/status` is asked about
   * ESCNs the registry does not hold. Defaults to ESC_ROUTER_URL; unset means foreign cards get "router unavailable".
   */
  routerStatusUrl: string | undefined
  /** ROUTER_STATUS_TIMEOUT_MS: whole status call (connect, headers, body), milliseconds. Default 2000. */
  routerTimeoutMs: number
  /** ROUTER_STATUS_CACHE_SECONDS: how long a router answer about a known card is reused. Default 60. */
  routerCacheSeconds: number
  /** ROUTER_STATUS_NEGATIVE_CACHE_SECONDS: how long "the router does not know this card" is reused. Default 30. */
  routerNegativeCacheSeconds: number
  /** ROUTER_STATUS_CACHE_ENTRIES: most router answers kept (oldest dropped first). Default 10000. */
  routerCacheEntries: number
  /** SOAP_MAX_BODY_BYTES: largest SOAP request accepted. Default 16384 (16 KiB; a real request is under 2 KiB). */
  soapMaxBodyBytes: number
  /** SOAP_MAX_DEPTH: deepest element nesting accepted in a SOAP request. Default 32 (a real request nests 6 deep). */
  soapMaxDepth: number
  /** VALIDITY_TIME_ZONE: the zone whose calendar day decides whether a card has expired. Default Europe/Paris. */
  timeZone: string
  /**
   * PUBLIC_BASE_URL: the gateway's address as its callers see it (behind a TLS proxy, e.g.
   * https://leocarte-gw.univ.fr), written into the served WSDL. Unset: taken from each request's Host header.
   */
  publicBaseUrl: string | undefined
  /**
   * PUBLIC_HOSTS: without PUBLIC_BASE_URL, the Host headers (`host[:port]`, lower case) the served WSDL may
   * name as its address; any other Host is refused. Empty: loopback hosts only (the demo, tests).
   */
  publicHosts: readonly string[]
}

/** Timeouts of the gateway's own HTTP server (slow clients are cut). */
export interface HttpServerConfig {
  /** REQUEST_TIMEOUT_MS: the whole request, headers and body, must arrive within this. Default 30000. */
  requestTimeoutMs: number
  /** HEADERS_TIMEOUT_MS: the request's headers must arrive within this. Default 10000. */
  headersTimeoutMs: number
  /** KEEP_ALIVE_TIMEOUT_MS: how long an idle kept-alive connection stays open. Default 72000 (above common proxies' 60 s). */
  keepAliveTimeoutMs: number
}

export interface QueueConfig {
  /** REDIS_PREFIX: prefix of every key the gateway writes. Default `leo`. */
  prefix: string
  /** OPPOSE_CONCURRENCY / ENABLE_CONCURRENCY: jobs run at once per lane in one process. Defaults 16 / 8. */
  opposeConcurrency: number
  enableConcurrency: number
  /** RETRY_BASE_MS / RETRY_MAX_MS: capped exponential back-off for transient faults. Defaults 1 s / 5 min. */
  retryBaseMs: number
  retryMaxMs: number
  /** JOB_LOCK_MS: how long a worker owns a job (and the card's lease) without renewing. Default 60 s. */
  lockMs: number
  /** STALLED_CHECK_MS: how often stalled jobs (dead workers) are looked for. Default 15 s. */
  stalledCheckMs: number
  /** SWEEP_INTERVAL_MS: how often the sweeper re-enqueues lagging cards. Default 10 s. */
  sweepIntervalMs: number
  /** BREAKER_FAILURES: failures of a downstream since its last answer that open its breaker; 0 never opens it. Default 5. */
  breakerFailures: number
  /** BREAKER_OPEN_MS: how long an open breaker waits before one call probes the downstream again. Default 15 s. */
  breakerOpenMs: number
  /**
   * DOUBTFUL_FAULT_MAX_MS: how long a fault that may be passing or lasting (a 200 that is not the
   * operation's answer, a refused credential) is retried before it needs attention. Default 1 h.
   */
  doubtfulFaultMaxMs: number
}

/** How long what the gateway keeps is kept (GDPR: no longer than its purpose; README "Personal data"). */
export interface RetentionConfig {
  /** IDEMPOTENCY_RETENTION_DAYS: how long an SGC eventId is remembered (its idempotency record). Default 90, above any SGC resend. */
  idempotencyDays: number
  /** TIMELINE_RETENTION_DAYS: timeline and activity lines older than this go, from cards with no pending work. Default 180. */
  timelineDays: number
  /** ENDED_CARD_RETENTION_DAYS: a CADUC or DESTROYED card confirmed everywhere loses its personal data this long after. Default 395 (13 months). */
  endedCardDays: number
}

export type RedisPolicyCheck = 'refuse' | 'warn'

/** How to reach Redis besides REDIS_URL, and how strictly its setup is checked at start. */
export interface RedisConfig {
  /** REDIS_SENTINELS: host:port of the sentinels (instead of REDIS_URL); REDIS_SENTINEL_NAME: the primary's name there. */
  sentinels: ReadonlyArray<{ host: string, port: number }> | undefined
  sentinelName: string | undefined
  /** REDIS_USERNAME / REDIS_PASSWORD (or _FILE): the data nodes' ACL user and password; they win over the URL's. */
  username: string | undefined
  password: string | undefined
  /** REDIS_SENTINEL_USERNAME / REDIS_SENTINEL_PASSWORD (or _FILE): the sentinels' own credentials. */
  sentinelUsername: string | undefined
  sentinelPassword: string | undefined
  /** TLS to Redis (and the sentinels): a rediss:// URL, or REDIS_TLS=on. */
  tls: boolean
  /** REDIS_TLS_CA (PEM, usually REDIS_TLS_CA_FILE): the CA that signed Redis's certificate; default the system's. */
  ca: string | undefined
  /** REDIS_POLICY_CHECK: `refuse` to start, or only `warn`, when Redis evicts keys or has AOF off. */
  policyCheck: RedisPolicyCheck
}

export interface ShutdownConfig {
  /** SHUTDOWN_TIMEOUT_MS: from SIGTERM to a forced exit (code 1) of a shutdown that is stuck. Default 30000. */
  timeoutMs: number
  /** SHUTDOWN_DELAY_MS: how long readiness fails, while requests are still served, before the listener closes. Default 0. */
  delayMs: number
}

/** OpenTelemetry tracing (README: Tracing); the OTLP exporter reads its standard OTEL_EXPORTER_OTLP_* variables itself. */
export interface TracingConfig {
  /** OTEL_TRACES_EXPORTER: `none` (the default: no SDK loaded), `otlp` (OTLP over HTTP) or `console`. */
  exporter: 'none' | 'otlp' | 'console'
  /** OTEL_SERVICE_NAME. Default leocarte-gateway. */
  serviceName: string
}

export interface EscFacadeConfig {
  /** SGC_ESC_KEYS (or _FILE): bearer keys ESUP-SGC may send (several during a rotation); none: the façade answers 401. */
  keys: readonly string[]
  /** True when the bare demo generated the key (printed at start). */
  keysGenerated: boolean
}

/** The API CROUS façade for an unmodified ESUP-SGC (SPEC §11); served only when a client is configured. */
export interface ApiCrousFacadeConfig {
  /** SGC_CROUS_CLIENTS: `clientId:clientSecret` pairs, comma-separated (ESUP-SGC's apiCrousService.clientId/clientSecret). None: the façade is off. */
  clients: ReadonlyArray<{ clientId: string, clientSecret: string }>
  /** True when the demo generated the client (printed at start). */
  clientGenerated: boolean
  /** SGC_TIME_ZONE: the zone of ESUP-SGC's JVM, whose local time it writes with a fake `Z`. Default Europe/Paris. */
  timeZone: string
  /** FACADE_READ_DEADLINE_MS: how long a façade read waits for the real CROUS before answering from what the gateway holds. Default 2000. */
  readDeadlineMs: number
  /** FACADE_TOKEN_TTL_SECONDS: lifetime of the tokens the façade issues. Default 3600. */
  tokenTtlSeconds: number
  /** FACADE_BODY_LIMIT_BYTES: largest façade request body. Default 16384 (a real one is under 1 KiB). */
  bodyLimitBytes: number
}

export interface Config {
  port: number
  host: string
  redisUrl: string
  /** True when REDIS_URL (or REDIS_SENTINELS) was given: the demo then never starts a private Redis. */
  redisUrlGiven: boolean
  redis: RedisConfig
  shutdown: ShutdownConfig
  /**
   * REDIS_REQUEST_TIMEOUT_MS: the longest a request waits for Redis before it is answered 503 with
   * Retry-After (each command, and an intake or a validity lookup as a whole). Default 1000.
   */
  redisRequestTimeoutMs: number
  role: GatewayRole
  simulators: boolean
  izly: IzlyConfig
  esc: EscConfig
  sgcSecrets: readonly string[]
  /** True when the SGC secret was generated for a demonstration (printed at start). */
  sgcSecretGenerated: boolean
  /** CROUS_API_KEYS: accepted `X-API-Key` values on the validity REST interface; none means it answers 401. */
  crousApiKeys: readonly string[]
  /** CROUS_SOAP_USERS: accepted WS-Security UsernameTokens on the validity SOAP interface; none means every call is refused. */
  crousSoapUsers: ReadonlyArray<{ user: string, password: string }>
  /** True when the demo generated the CROUS API key / SOAP user (printed at start). */
  crousApiKeyGenerated: boolean
  crousSoapUserGenerated: boolean
  validity: ValidityConfig
  apiCrousFacade: ApiCrousFacadeConfig
  /** The tokens of ADMIN_TOKENS alone (the queue dashboard's check). */
  adminTokens: readonly string[]
  /** ADMIN_TOKENS: `name:token` pairs; the name is recorded with every admin action (config/admin-tokens.ts). */
  adminOperators: readonly AdminToken[]
  adminTokenGenerated: boolean
  logLevel: string
  tracing: TracingConfig
  queue: QueueConfig
  retention: RetentionConfig
  http: HttpServerConfig
  /**
   * PSEUDONYM_KEY: the HMAC key of every keyed hash standing for a person (Redis key names by eppn, the
   * timeline's person reference). Required with SIMULATORS=off; the bare demo generates one.
   */
  pseudonymKey: string
  pseudonymKeyGenerated: boolean
  /** OCCURRED_AT_MAX_AHEAD_SECONDS: how far an event's occurredAt may be ahead of its signature time. Default 300. */
  occurredAtMaxAheadSeconds: number
  /** The ESC Router façade ESUP-SGC's europeanStudentCardService calls (src/facade/esc-router). */
  escFacade: EscFacadeConfig
  /**
   * FACADE_READ_DEADLINE_MS: how long a façade read waits for the real peer (router or API CROUS) before it
   * is answered from what the gateway holds. Default 2000 (ESUP-SGC waits 30 s).
   */
  facadeReadDeadlineMs: number
  /** BODY_LIMIT_BYTES (every route but the batch) / BATCH_BODY_LIMIT_BYTES (the batch route only). Defaults 64 KiB / 8 MiB. */
  bodyLimitBytes: number
  batchBodyLimitBytes: number
  /** Rate limits, load shedding, and where /metrics and /docs are served (protection-config.ts). */
  protection: ProtectionConfig
}
