import type { Logger } from 'pino'
import type { Test } from 'tap'
import type { Config } from '../../src/config/config.ts'
import { loadConfig } from '../../src/config/load.ts'
import { type EscEndpoint, startGateway, type Gateway } from '../../src/app/gateway.ts'
import type { CardEvent } from '../../src/domain/card-event.ts'
import { signBody } from '../../src/intake/signature.ts'
import { createLogger } from '../../src/observability/logger.ts'
import type { Tracing } from '../../src/observability/tracing.ts'
import type { IzlyTestEndpoint } from './izly.ts'
import { cleanPrefix, REDIS_URL, TEST_PSEUDONYM_KEY, uniquePrefix } from './redis.ts'

export const TEST_SECRET = 'test-sgc-secret-0123456789'
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789'
/** PSEUDONYM_KEY of test gateways (and of testRegistry, so both name holder keys alike). */
export { TEST_PSEUDONYM_KEY } from './redis.ts'

/** Environment for a gateway under test: fast retries and sweeps, quiet logs, its own key prefix. */
export function testEnv (options: { izlyEndpoint: IzlyTestEndpoint, escEndpoint?: EscEndpoint, prefix: string, redisUrl?: string, role?: string, extra?: Record<string, string> }): Record<string, string> {
  const izly = options.izlyEndpoint
  return {
    SIMULATORS: 'off',
    PORT: '0',
    ...(typeof izly === 'string'
      ? { IZLY_SOAP_URL: izly }
      : { IZLY_API_URL: izly.apiUrl, IZLY_ACCESS_URL: izly.accessUrl, IZLY_CLIENT_ID: izly.clientId, IZLY_CLIENT_SECRET: izly.clientSecret }),
    SGC_HMAC_SECRETS: TEST_SECRET,
    ADMIN_TOKENS: TEST_ADMIN_TOKEN,
    PSEUDONYM_KEY: TEST_PSEUDONYM_KEY,
    // Sentinel takes the place of a URL.
    ...(options.extra?.REDIS_SENTINELS === undefined ? { REDIS_URL: options.redisUrl ?? REDIS_URL } : {}),
    REDIS_PREFIX: options.prefix,
    GATEWAY_ROLE: options.role ?? 'all',
    RETRY_BASE_MS: '50',
    RETRY_MAX_MS: '400',
    SWEEP_INTERVAL_MS: '300',
    BREAKER_OPEN_MS: '300',
    // Generous: a loaded CI machine must not turn a slow answer into a 503 (the Redis stall test sets its own).
    REDIS_REQUEST_TIMEOUT_MS: '5000',
    IZLY_TIMEOUT_MS: '3000',
    ESC_TIMEOUT_MS: '3000',
    JOB_LOCK_MS: '4000',
    STALLED_CHECK_MS: '1000',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Rate limits on (every test goes through them) but out of reach: one limit each is tested on its own
    // (test/app/protection/rate-limits.test.ts), the others must not trip on a test's hundreds of calls.
    RATE_LIMIT_SGC: '10000000',
    RATE_LIMIT_VALIDITY: '10000000',
    RATE_LIMIT_ADMIN: '10000000',
    RATE_LIMIT_FAILED_AUTH: '10000000',
    // Likewise, a loaded CI machine must not shed a test's requests (load shedding is tested on its own).
    SHED_EVENT_LOOP_DELAY_MS: '0',
    // The shared test Redis runs without AOF; the policy check itself is tested on private servers.
    REDIS_POLICY_CHECK: 'warn',
    // Without an ESC endpoint the gateway has no ESC downstream: Izly only.
    ...(options.escEndpoint === undefined
      ? {}
      : { ESC_ROUTER_URL: options.escEndpoint.url, ESC_ROUTER_TOKEN: options.escEndpoint.token, ESC_PIC: options.escEndpoint.pic }),
    ...options.extra,
  }
}

export interface TestGateway extends Gateway {
  config: Config
  prefix: string
  /** Posts one signed event through the real HTTP route (inject); returns status and JSON body. */
  post (event: CardEvent | unknown): Promise<{ status: number, body: any }>
  postBatch (events: unknown[]): Promise<{ status: number, body: any }>
  admin (method: 'GET' | 'POST', url: string): Promise<{ status: number, body: any }>
}

/** A whole gateway (API and workers) in this process, on the test Redis, closed and cleaned on teardown. */
export async function startTestGateway (t: Test, options: { izlyEndpoint: IzlyTestEndpoint, escEndpoint?: EscEndpoint, prefix?: string, redisUrl?: string, role?: string, extra?: Record<string, string>, cleanup?: boolean, listen?: boolean, logger?: Logger, tracing?: Tracing }): Promise<TestGateway> {
  const prefix = options.prefix ?? uniquePrefix()
  const config = loadConfig(testEnv({ ...options, prefix }))
  // listen: on 127.0.0.1 and an ephemeral port (gateway.url), for tests that need a real socket.
  const gateway = await startGateway({ config, logger: options.logger ?? createLogger(config.logLevel), listen: options.listen ?? false, ...(options.tracing !== undefined ? { tracing: options.tracing } : {}) })
  t.teardown(async () => {
    await gateway.close()
    if (options.cleanup !== false) {
      await cleanPrefix(config.redisUrl, prefix)
    }
  })
  const inject = async (url: string, payload: unknown): Promise<{ status: number, body: any }> => {
    if (gateway.app === undefined) throw new Error('this gateway runs no API')
    const body = JSON.stringify(payload)
    const response = await gateway.app.inject({ method: 'POST', url, payload: body, headers: { 'content-type': 'application/json', 'x-signature': signBody(TEST_SECRET, body) } })
    return { status: response.statusCode, body: response.body === '' ? undefined : response.json() }
  }
  return Object.assign(gateway, {
    config,
    prefix,
    post: async (event: unknown) => await inject('/sgc/v1/card-events', event),
    postBatch: async (events: unknown[]) => await inject('/sgc/v1/card-events/batch', { events }),
    admin: async (method: 'GET' | 'POST', url: string) => {
      if (gateway.app === undefined) throw new Error('this gateway runs no API')
      const response = await gateway.app.inject({ method, url, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })
      return { status: response.statusCode, body: response.json() }
    },
  })
}
