import { randomBytes } from 'node:crypto'
import { matchesSecret } from '../../app/secret-match.ts'

/** Credentials and token lifetime of the simulated API CROUS access server. */
export interface TokenSettings {
  clientId: string
  clientSecret: string
  /** expires_in of every token issued. */
  ttlSeconds: number
}

/**
 * Tokens of the simulated access server: issued to one client, each valid until its own expiry (a
 * newer one never revokes an older one, as ESUP-SGC's concurrent re-authentications need), or until a
 * test revokes them all to provoke a 401.
 */
export class SimulatedTokens {
  readonly #now: () => number
  readonly #valid = new Map<string, number>()
  settings: TokenSettings
  /** Tokens issued since the last reset. */
  issued = 0

  constructor (settings: TokenSettings, now: () => number) {
    this.settings = settings
    this.#now = now
  }

  /** Whether `authorization` is `Basic base64(clientId:clientSecret)` of the configured client. */
  acceptsClient (authorization: string | undefined): boolean {
    const expected = `Basic ${Buffer.from(`${this.settings.clientId}:${this.settings.clientSecret}`, 'utf8').toString('base64')}`
    return matchesSecret([expected], authorization)
  }

  issue (): { access_token: string, token_type: 'Bearer', expires_in: number, scope: string } {
    const token = randomBytes(24).toString('base64url')
    this.#valid.set(token, this.#now() + this.settings.ttlSeconds * 1000)
    this.issued += 1
    return { access_token: token, token_type: 'Bearer', expires_in: this.settings.ttlSeconds, scope: 'beforeizly' }
  }

  /** Whether `authorization` is `Bearer <a token issued and not yet expired>`. */
  acceptsBearer (authorization: string | undefined): boolean {
    const match = /^Bearer (\S+)$/.exec(authorization ?? '')
    if (match === null) return false
    const expiresAt = this.#valid.get(match[1] as string)
    if (expiresAt === undefined) return false
    if (this.#now() >= expiresAt) {
      this.#valid.delete(match[1] as string)
      return false
    }
    return true
  }

  /** Every token issued so far stops working: the next call with one gets a 401. */
  revokeAll (): void {
    this.#valid.clear()
  }

  setTtl (ttlSeconds: number): void {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new TypeError('ttlSeconds must be a positive integer')
    this.settings = { ...this.settings, ttlSeconds }
  }

  reset (): void {
    this.#valid.clear()
    this.issued = 0
  }
}
