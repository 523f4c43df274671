import type { Worker } from 'bullmq'
import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Config } from '../config/config.ts'
import { type DownstreamName, LANES } from '../domain/downstream.ts'
import { createEscClient } from '../downstream/esc/client.ts'
import { createEscSync } from '../downstream/esc/esc-sync.ts'
import { todayIn } from '../validity/check-validity.ts'
import { createRegistryHolders } from '../downstream/esc/holders.ts'
import type { EscPort } from '../downstream/esc/port.ts'
import type { DownstreamSync } from '../downstream/types.ts'
import { announceIzlyTransport, createIzlyPort } from '../downstream/izly/create-port.ts'
import { createIzlySync } from '../downstream/izly/izly-sync.ts'
import type { IzlyPort } from '../downstream/izly/port.ts'
import { createMetrics, type GatewayMetrics } from '../observability/metrics.ts'
import { createTracing, type Tracing } from '../observability/tracing.ts'
import { Breakers } from '../queue/breaker.ts'
import { createSweeper, scheduleSweeps, type Sweeper } from '../queue/sweeper.ts'
import { SyncQueues } from '../queue/sync-queues.ts'
import { startSyncWorker } from '../queue/sync-worker.ts'
import { createIntake } from '../queue/wake-on-accept.ts'
import { buildKeys } from '../registry/keys.ts'
import { createRedis } from '../registry/redis.ts'
import { checkRedisPolicyWhenReady, RedisPolicyError } from '../registry/redis-policy.ts'
import { closeWorkers } from '../queue/hand-back.ts'
import { Registry } from '../registry/registry.ts'
import { CardEraser } from '../retention/card-eraser.ts'
import { createHolderErasure } from '../retention/holder-erasure.ts'
import type { HolderKeysHook } from '../retention/key-families.ts'
import { createRetentionPass, type RetentionPass } from '../retention/retention-pass.ts'
import { createValidityApi, type ValidityApi } from '../validity/validity-api.ts'
import { buildApp, buildMetricsApp } from './build-app.ts'
import { createEscFacade, type EscFacade } from '../facade/esc-router/esc-facade.ts'
import { personStoreHolderKeys } from '../facade/esc-router/person-store.ts'
import { apiCrousStoreHolderKeys } from '../facade/api-crous/store.ts'
import { apiCrousFacadePlugin } from '../facade/api-crous/mount.ts'

export interface GatewayOptions {
  config: Config
  logger: Logger
  /** The SOAP Izly endpoint to call; defaults to IZLY_SOAP_URL (the caller starts simulators and passes theirs). The REST transport's endpoints are in the config. */
  izlyEndpoint?: string
  /** The ESC Router to call; defaults to ESC_ROUTER_URL with ESC_ROUTER_TOKEN and ESC_PIC. Neither: ESC is skipped. */
  escEndpoint?: EscEndpoint
  /** Whether to listen on HOST:PORT; tests use `app.inject` or an ephemeral port instead. */
  listen?: boolean
  /** The ESC Router REST base asked about foreign cards; defaults to ESC_ROUTER_STATUS_URL, else ESC_ROUTER_URL. */
  routerStatusUrl?: string
  /**
   * Redis, unreachable at start, answered later and failed the policy check in refuse mode (the workers
   * never start). A refusal at start throws from startGateway instead. Default: a fatal log line.
   */
  onRedisRefused?: (error: RedisPolicyError) => void
  /** The clock of retention and erasure (tests move it); default Date.now. */
  now?: () => number
  /** Keys other components (the ESUP-SGC façades) keep for a holder, erased with the holder. */
  extraHolderKeys?: HolderKeysHook
  /**
   * Tracing set up by the caller (tests: an in-memory exporter), who then shuts it down. Default: from
   * OTEL_TRACES_EXPORTER (off unless set), shut down by close().
   */
  tracing?: Tracing
  /** Pressure on demand (tests, drills): false sheds load (protection/load-shedding.ts). */
  pressureCheck?: () => Promise<boolean>
}

export interface EscEndpoint {
  /** REST base ending in `/esc-rest`. */
  url: string
  token: string
  pic: string
}

export interface Gateway {
  /** The API (intake, admin, health, metrics), or only health and metrics in a worker-only process. */
  app: FastifyInstance
  /** Where the API listens, when it does. */
  url: string | undefined
  /** METRICS_PORT's listener, when configured (`metricsUrl` once it listens). */
  metricsApp: FastifyInstance | undefined
  metricsUrl: string | undefined
  registry: Registry
  queues: SyncQueues
  metrics: GatewayMetrics
  /** The CROUS validity service, in a process that serves the API. */
  validity: ValidityApi | undefined
  workers: Worker[]
  sweeper: Sweeper | undefined
  /** The retention pass the sweeps run a step of (timelines, ended cards), in a process that runs workers. */
  retention: RetentionPass | undefined
  /** Readiness fails from now on (the load balancer stops sending); requests are still served. */
  beginDrain (): void
  /**
   * Stops taking requests (503 on open connections) and jobs, lets in-flight requests and running jobs
   * finish (jobs until `handBackAt`, epoch ms, then handed back to the queue), then closes connections.
   */
  close (options?: { handBackAt?: number }): Promise<void>
}

/** The composition root: API, workers or both by GATEWAY_ROLE, on one Redis. */
export async function startGateway (options: GatewayOptions): Promise<Gateway> {
  const { config, logger } = options
  const metrics = createMetrics()
  // Off by default, and then no OpenTelemetry module is loaded (tracing.ts imports the SDK lazily).
  const tracing = options.tracing ?? await createTracing(config.tracing)
  const ownsTracing = options.tracing === undefined
  const keys = buildKeys(config.queue.prefix, config.pseudonymKey)
  const redis = {
    intake: createRedis({ ...config.redis, url: config.redisUrl }, 'intake', undefined, config.redisRequestTimeoutMs),
    worker: createRedis({ ...config.redis, url: config.redisUrl }, 'worker'),
    // The rate limits' own fail-fast connection, with a shorter command timeout: a limiter that cannot
    // count within it lets the request go on (or refuses it) at once, as its interface decides.
    rateLimit: createRedis({ ...config.redis, url: config.redisUrl }, 'intake', 'leocarte-rate-limit', config.protection.rateLimit.redisTimeoutMs),
  }
  // Many requests check their limits at once: one write carries the checks of a whole event-loop turn.
  redis.rateLimit.options.enableAutoPipelining = true
  for (const [use, connection] of Object.entries(redis)) {
    connection.on('error', (error: Error) => logger.warn({ err: error.message, use }, 'Redis connection error'))
  }
  // The first attempt is waited for, never required: a gateway started while Redis is down serves liveness
  // (200) and readiness (503) and keeps reconnecting (retryStrategy) instead of exiting into a crash loop;
  // its workers start once Redis answers and has passed the policy check.
  await Promise.all(Object.entries(redis).map(async ([use, connection]) => {
    await connection.connect().catch((error: unknown) => logger.warn({ err: error instanceof Error ? error.message : String(error), use }, 'Redis not reachable yet; reconnecting'))
  }))
  // The policy check runs when Redis first answers (now, or after the reconnections), then after every
  // reconnection. Refused now: startGateway throws; refused later: onRedisRefused (main.ts exits 1).
  const policyChecked = checkRedisPolicyWhenReady(redis.intake, config.redis.policyCheck, logger)
  if (redis.intake.status === 'ready') {
    try {
      await policyChecked
    } catch (error) {
      await Promise.all(Object.values(redis).map(quit))
      if (ownsTracing) await tracing.shutdown()
      throw error
    }
  } else {
    policyChecked.catch((error: unknown) => {
      if (error instanceof RedisPolicyError && options.onRedisRefused !== undefined) options.onRedisRefused(error)
      else logger.fatal({ err: error }, 'Redis policy check failed: the workers do not start')
    })
  }
  let draining = false

  // A downstream exists only when configured: without ESC_ROUTER_URL (and simulators off) no card
  // carries ESC work, so no job, no dirty mark and no sync record is spent on it.
  const escEndpoint = options.escEndpoint ?? configuredEsc(config)
  const downstreams: readonly DownstreamName[] = escEndpoint === undefined ? ['izly'] : ['izly', 'esc']
  const now = options.now ?? Date.now
  // What the façades keep about a holder outside the registry goes with the holder's cards.
  const facadeKeys = [personStoreHolderKeys(config.queue.prefix, config.pseudonymKey), apiCrousStoreHolderKeys(config.queue.prefix, config.pseudonymKey)]
  const extraHolderKeys: HolderKeysHook = async (holder) => [
    ...(await Promise.all(facadeKeys.map(async (keysOf) => await keysOf(holder)))).flat(),
    ...await options.extraHolderKeys?.(holder) ?? [],
  ]
  const idempotencyMs = config.retention.idempotencyDays * 86_400_000
  const apiRegistry = new Registry({ redis: redis.intake, keys, downstreams, idempotencyMs, now })
  const workerRegistry = new Registry({ redis: redis.worker, keys, downstreams, idempotencyMs, now })
  // Intake enqueues on the fail-fast connection: an unreachable Redis is a 503, not a hung request.
  const queueError = (error: Error): void => logger.warn({ err: error.message }, 'queue connection error')
  const apiQueues = new SyncQueues(redis.intake, keys.bullPrefix(), downstreams, queueError, tracing.telemetry)
  const workerQueues = new SyncQueues(redis.worker, keys.bullPrefix(), downstreams, queueError, tracing.telemetry)

  let url: string | undefined
  let closing: Promise<void> | undefined
  const workers: Worker[] = []
  let sweeper: Sweeper | undefined
  let scheduled: Promise<Sweeper> | undefined
  let izly: IzlyPort | undefined
  let esc: EscPort | undefined

  const intake = config.role === 'worker' ? undefined : createIntake({ registry: apiRegistry, queues: apiQueues, downstreams, logger, metrics, deadlineMs: config.redisRequestTimeoutMs, tracing })
  const validity = config.role === 'worker'
    ? undefined
    : createValidityApi({ config, registry: apiRegistry, redis: redis.intake, logger, metrics, lookupDeadlineMs: config.redisRequestTimeoutMs, ...(options.routerStatusUrl !== undefined ? { routerStatusUrl: options.routerStatusUrl } : {}) })
  const erasure = config.role === 'worker'
    ? undefined
    : createHolderErasure({ registry: apiRegistry, eraser: new CardEraser({ redis: redis.intake, keys, downstreams, queues: apiQueues }), downstreams, now, extraHolderKeys })
  let retention: RetentionPass | undefined
  const escFacade: EscFacade | undefined = intake === undefined
    ? undefined
    : createEscFacade({ config, intake, registry: apiRegistry, redis: redis.intake, router: escEndpoint })
  // The façade reads the real CROUS on the API side: one Izly port per process, shared with the workers.
  if (intake !== undefined && config.apiCrousFacade.clients.length > 0) izly = await createIzlyPort(config.izly, options.izlyEndpoint)
  const apiCrous = intake === undefined ? undefined : apiCrousFacadePlugin({ config, redis: redis.intake, registry: apiRegistry, intake, izly, logger })
  const breakerSettings = { failures: config.queue.breakerFailures, openMs: config.queue.breakerOpenMs, probeLeaseMs: config.queue.lockMs }
  const appOptions = { config, logger, isDraining: () => draining, redis: redis.intake, rateLimitRedis: redis.rateLimit, registry: apiRegistry, downstreams, intake, queues: apiQueues, breakers: new Breakers(redis.intake, keys, apiQueues, breakerSettings), metrics, tracing, ...(validity !== undefined ? { validity } : {}), ...(erasure !== undefined ? { erasure } : {}), ...(escFacade !== undefined ? { escFacade } : {}), ...(apiCrous !== undefined ? { apiCrous } : {}), ...(options.pressureCheck !== undefined ? { pressureCheck: options.pressureCheck } : {}) }
  const { metricsPort } = config.protection.ops
  const app = await buildApp({ ...appOptions, serveMetrics: metricsPort === undefined })
  // METRICS_PORT: /metrics on a listener of its own, in every role (a worker's health stays on PORT).
  const metricsApp = metricsPort === undefined ? undefined : await buildMetricsApp(appOptions)
  let metricsUrl: string | undefined
  if (options.listen !== false) {
    url = await app.listen({ port: config.port, host: config.host })
    metricsUrl = await metricsApp?.listen({ port: metricsPort, host: config.host })
  }

  if (config.role !== 'api') {
    izly ??= await createIzlyPort(config.izly, options.izlyEndpoint)
    void announceIzlyTransport(izly, config.izly, logger)
    const syncs: DownstreamSync[] = [createIzlySync(tracing.port(izly, 'izly'), { ineAsIdentifier: config.izly.ineAsIdentifier })]
    if (escEndpoint !== undefined) {
      const timeoutMs = config.esc.timeoutMs
      esc = createEscClient({ baseUrl: escEndpoint.url, token: escEndpoint.token, connectTimeoutMs: timeoutMs, headersTimeoutMs: timeoutMs, bodyTimeoutMs: timeoutMs, deadlineMs: timeoutMs })
      const escHolders = createRegistryHolders(workerRegistry, { leaseMs: config.queue.lockMs })
      // Expiry is judged on the same calendar day as the validity service's, not the UTC one.
      const today = (): string => todayIn(config.validity.timeZone, Date.now())
      syncs.push(createEscSync(tracing.port(esc, 'esc'), { pic: escEndpoint.pic, cardType: config.esc.cardType, onDisable: config.esc.onDisable, today, pseudonymKey: config.pseudonymKey }, escHolders))
    } else {
      logger.info('ESC Router not configured (no ESC_ROUTER_URL, simulators off): the gateway syncs Izly only')
    }
    const breakers = new Breakers(redis.worker, keys, workerQueues, breakerSettings)
    const sweeps = createSweeper({ registry: workerRegistry, queues: workerQueues, downstreams, logger })
    retention = createRetentionPass({
      redis: redis.worker,
      registry: workerRegistry,
      eraser: new CardEraser({ redis: redis.worker, keys, downstreams, queues: workerQueues, onJobLeft: (cardId, downstream) => logger.warn({ cardId, downstream }, 'erased card: a job of it was running and stays until it ends') }),
      prefix: config.queue.prefix,
      downstreams,
      logger,
      timelineDays: config.retention.timelineDays,
      endedCardDays: config.retention.endedCardDays,
      now,
      extraHolderKeys,
    })
    // Passes by hand (tests, the admin API) or on the schedule; stop() ends this process's part of the schedule.
    sweeper = { pass: sweeps.pass, sweep: sweeps.sweep, stop: async () => { await (await scheduled?.catch(() => undefined))?.stop() } }
    const startWorkers = (): void => {
      // A shutdown that came first wins: nothing starts on connections being closed.
      if (closing !== undefined) return
      for (const sync of syncs) {
        for (const lane of LANES) {
          workers.push(startSyncWorker({ connection: redis.worker, registry: workerRegistry, queues: workerQueues, breakers, sync, lane, config: config.queue, logger, metrics, tracing }))
        }
      }
      scheduled = scheduleSweeps({ connection: redis.worker, prefix: keys.bullPrefix(), sweeper: sweeps, intervalMs: config.queue.sweepIntervalMs, logger, retention })
      scheduled.catch((error: unknown) => logger.error({ err: error }, 'the sweep schedule could not be set up; lost wake-ups are not recovered until a restart'))
    }
    // A BullMQ worker whose first connection fails stops for good: workers start once Redis has answered
    // (and passed the policy check; never, if it is refused).
    const startWhenReady = (): void => {
      if (redis.worker.status === 'ready') startWorkers()
      else redis.worker.once('ready', startWorkers)
    }
    policyChecked.then(startWhenReady, () => {})
  }

  return {
    app,
    url,
    metricsApp,
    metricsUrl,
    registry: apiRegistry,
    queues: apiQueues,
    metrics,
    validity,
    workers,
    get sweeper () { return sweeper },
    get retention () { return retention },
    beginDrain () {
      draining = true
    },
    async close (options = {}) {
      closing ??= (async () => {
        draining = true
        await Promise.all([
          (async () => {
            await app.close()
            await metricsApp?.close()
            await validity?.close()
            await escFacade?.close()
          })(),
          (async () => {
            await sweeper?.stop()
            // Running jobs finish, or go back to the queue at handBackAt; unstarted ones stay queued in Redis.
            await closeWorkers(workers, options.handBackAt, logger)
          })(),
        ])
        await apiQueues.close()
        await workerQueues.close()
        await izly?.close()
        await esc?.close()
        await Promise.all(Object.values(redis).map(quit))
        // Last: the spans of the jobs that finished above are exported before the process ends.
        if (ownsTracing) await tracing.shutdown()
      })()
      await closing
    },
  }
}

function configuredEsc (config: Config): EscEndpoint | undefined {
  const { url, token, pic } = config.esc
  // loadConfig requires the token and the PIC with the URL.
  return url !== undefined && token !== undefined && pic !== undefined ? { url, token, pic } : undefined
}

async function quit (redis: Redis): Promise<void> {
  try {
    await redis.quit()
  } catch {
    // Closed already, or Redis is gone: nothing to wait for.
  } finally {
    // Also ends what QUIT leaves open, such as the Sentinel failover detector's subscriptions.
    redis.disconnect()
  }
}
