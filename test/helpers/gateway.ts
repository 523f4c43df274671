import type { Logger } from 'pino'
import type { Test } from 'tap'
import type { Config } from '../../src/config/config.ts'
import { loadConfig } from '../../src/config/load.ts'
import { type EscEndpoint, startGateway, type Gateway } from '../../src/app/gateway.ts'
import type { CardEvent } from '../../src/domain/card-event.ts'
import { signBody } from '../../src/intake/signature.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { cleanPrefix, REDIS_URL, uniquePrefix } from './redis.ts'

export const TEST_SECRET = 'test-sgc-secret-0123456789'
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789'

/** Environment for a gateway under test: fast retries and sweeps, quiet logs, its own key prefix. */
export function testEnv (options: { izlyEndpoint: string, escEndpoint?: EscEndpoint, prefix: string, redisUrl?: string, role?: string, extra?: Record<string, string> }): Record<string, string> {
  return {
    SIMULATORS: 'off',
    PORT: '0',
    IZLY_SOAP_URL: options.izlyEndpoint,
    SGC_HMAC_SECRETS: TEST_SECRET,
    ADMIN_TOKENS: TEST_ADMIN_TOKEN,
    REDIS_URL: options.redisUrl ?? REDIS_URL,
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
export async function startTestGateway (t: Test, options: { izlyEndpoint: string, escEndpoint?: EscEndpoint, prefix?: string, redisUrl?: string, role?: string, extra?: Record<string, string>, cleanup?: boolean, logger?: Logger }): Promise<TestGateway> {
  const prefix = options.prefix ?? uniquePrefix()
  const config = loadConfig(testEnv({ ...options, prefix }))
  const gateway = await startGateway({ config, logger: options.logger ?? createLogger(config.logLevel), listen: false })
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
