export type GatewayRole = 'api' | 'worker' | 'all'
export type EscOnDisable = 'inactive' | 'delete'

export interface IzlyConfig {
  /** IZLY_SOAP_URL: the Izly card service endpoint; unset means the in-process simulator. */
  soapUrl: string | undefined
  username: string | undefined
  password: string | undefined
  /** IZLY_TIMEOUT_MS: per SOAP call, milliseconds. Default 30000 (CROUS calls can be slow). */
  timeoutMs: number
  /** IZLY_INE_AS_IDENTIFIER: key right holders by INE when no crousIdentifier is held. Default false. */
  ineAsIdentifier: boolean
}

export interface EscConfig {
  url: string | undefined
  token: string | undefined
  pic: string | undefined
  onDisable: EscOnDisable
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
}

export interface Config {
  port: number
  host: string
  redisUrl: string
  /** True when REDIS_URL was given: the demo then never starts a private Redis. */
  redisUrlGiven: boolean
  role: GatewayRole
  simulators: boolean
  izly: IzlyConfig
  esc: EscConfig
  sgcSecrets: readonly string[]
  /** True when the SGC secret was generated for a demonstration (printed at start). */
  sgcSecretGenerated: boolean
  crousApiKeys: readonly string[]
  crousSoapUsers: ReadonlyArray<{ user: string, password: string }>
  adminTokens: readonly string[]
  adminTokenGenerated: boolean
  logLevel: string
  queue: QueueConfig
  /** BODY_LIMIT_BYTES / BATCH_BODY_LIMIT_BYTES. Defaults 64 KiB / 8 MiB. */
  bodyLimitBytes: number
  batchBodyLimitBytes: number
}
