import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { writeSgcLocalTime } from '../../../../src/facade/api-crous/local-time.ts'
import { validateApiCrousRequest } from '../../../helpers/api-crous-contract.ts'

/**
 * A stand-in for ESUP-SGC's ApiCrousService as a test drives the façade: the token flow (re-authenticate
 * once on 401/403, as CrousAuthAspect does), calls with ESUP-SGC's headers, and its right-holder comparison
 * (esup-sgc-dropin.md §2.3) that decides whether C4/C3 follow a C1.
 */
export class EsupSgc {
  readonly app: FastifyInstance
  readonly clientId: string
  readonly clientSecret: string
  readonly timeZone: string
  token: string | null = null
  readonly log: Array<{ call: string, method: string, path: string, status: number }> = []
  /** Requests that break openapi/api-crous-v1.yaml (ESUP-SGC's wire format as the project describes it); C9 is not in it. */
  readonly contractErrors: string[] = []

  constructor (app: FastifyInstance, options: { clientId: string, clientSecret: string, timeZone?: string }) {
    this.app = app
    this.clientId = options.clientId
    this.clientSecret = options.clientSecret
    this.timeZone = options.timeZone ?? 'Europe/Paris'
  }

  async authenticate (path = '/api-crous/api/oauth/token'): Promise<number> {
    const response = await this.app.inject({
      method: 'POST',
      url: `${path}?grant_type=client_credentials`,
      headers: { authorization: `Basic ${Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64')}`, 'user-agent': 'ESUP-SGC/3.5.1' },
    })
    if (response.statusCode === 200) this.token = (response.json() as { access_token: string }).access_token
    return response.statusCode
  }

  /** One API call; a 401/403 triggers one re-authentication and one retry. */
  async call (call: string, method: string, path: string, options: { body?: unknown, headers?: Record<string, string> } = {}): Promise<{ status: number, body: any }> {
    if (call !== 'C9') {
      const headers: Record<string, string> = { 'content-type': 'application/json', authorization: 'Bearer x', ...options.headers }
      const checked = await validateApiCrousRequest({ method, path, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) })
      for (const error of checked.errors) this.contractErrors.push(`${call} ${method} (${checked.operationId}): ${error}`)
    }
    for (let attempt = 0; ; attempt++) {
      const response = await this.app.inject({
        method: method as 'GET',
        url: `/api-crous${path}`,
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          'user-agent': 'ESUP-SGC/3.5.1',
          authorization: this.token === null ? '' : `Bearer ${this.token}`,
          ...options.headers,
        },
        ...(options.body === undefined ? {} : { payload: JSON.stringify(options.body) }),
      })
      if ((response.statusCode === 401 || response.statusCode === 403) && attempt === 0) {
        await this.authenticate()
        continue
      }
      this.log.push({ call, method, path, status: response.statusCode })
      const type = String(response.headers['content-type'] ?? '')
      return { status: response.statusCode, body: type.includes('json') && response.body !== '' ? response.json() : response.body }
    }
  }

  /** `ms` from now as ESUP-SGC writes it: its JVM's local time with a literal Z. */
  localTime (offsetMs = 0): string {
    return writeSgcLocalTime(new Date(Date.now() + offsetMs).toISOString(), this.timeZone) as string
  }
}

/** ESUP-SGC's comparison of its computed RightHolder with a C1 answer: true when it goes on to C4/C3. */
export function esupSgcWouldUpdate (computed: Record<string, unknown>, answer: Record<string, unknown>): boolean {
  const student = hasText(computed.ine) && hasText(answer.ine)
  const fields = student
    ? ['identifier', 'ine', 'rneOrgCode', 'idCompanyRate']
    : ['email', 'firstName', 'lastName', 'identifier', 'ine', 'rneOrgCode', 'idCompanyRate', 'idRate', 'simpleBirthDate']
  if (fields.some((field) => folded(computed[field]) !== folded(answer[field]))) return true
  const ours = Date.parse(String(computed.dueDate ?? ''))
  const theirs = Date.parse(String(answer.dueDate ?? ''))
  return Number.isFinite(ours) && (!Number.isFinite(theirs) || Math.abs(ours - theirs) >= 5 * 60_000)
}

/** ESUP-SGC's KO_BLOCKED (§2.3 step 4): CROUS says rate 10, ESUP-SGC another: it would stop, skipping C8. */
export function esupSgcBlocked (computed: Record<string, unknown>, answer: Record<string, unknown>): boolean {
  return answer.idCompanyRate === 10 && computed.idCompanyRate !== 10
}

function hasText (value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== ''
}

function folded (value: unknown): string {
  return (value === null || value === undefined ? '' : String(value)).normalize('NFD').replace(/\p{M}/gu, '').trim().toLowerCase()
}

export function randomDigits (count: number): string {
  return Array.from(randomBytes(count), (byte) => String(byte % 10)).join('').replace(/^0/, '1')
}

export function randomCsn (): string {
  return randomBytes(7).toString('hex').toUpperCase()
}
