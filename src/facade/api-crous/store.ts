import { createHash, randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { pseudonymiser } from '../../domain/pseudonym.ts'
import { withDeadline } from '../../registry/unavailable.ts'
import type { HolderKeysHook } from '../../retention/key-families.ts'
import type { HolderFields } from './bodies.ts'

/**
 * What the API CROUS façade keeps in Redis beside the registry, on the API's fail-fast connection and
 * within the request deadline: its tokens, and per right-holder key (ESUP-SGC's crousIdentifier) the
 * last RightHolder ESUP-SGC wrote, the last one CROUS answered, and the cards met under that key.
 * Key names carry a keyed hash of the right-holder key, never the key (an eppn or an INE).
 */
export interface HeldHolder {
  /** The last C2/C3 body as ESUP-SGC sent it: the best answer to its next C1 while CROUS is out of reach. */
  sent?: Record<string, unknown>
  /** The same, read: what card events carry to the registry. */
  fields?: HolderFields
  /** The last RightHolder CROUS answered (the façade's C1 answer, ESUP-SGC's format). */
  crous?: Record<string, unknown>
}

export interface FacadeStoreOptions {
  redis: Redis
  prefix: string
  pseudonymKey: string
  /** Each call, milliseconds: past it the request is answered 503 (REDIS_REQUEST_TIMEOUT_MS). */
  deadlineMs: number
  tokenTtlSeconds: number
}

/**
 * The Redis keys the façade holds about one right-holder key (an eppn, an INE, a crousIdentifier): what a
 * holder's erasure must delete besides the registry's keys.
 */
export function apiCrousHolderKeys (prefix: string, pseudonymKey: string, identifier: string): string[] {
  const holder = pseudonymiser(pseudonymKey, 'holder-key')(identifier)
  return [`${prefix}:facade-crous:holder:${holder}`, `${prefix}:facade-crous:holder-cards:${holder}`]
}

/** For an erasure (retention/): the façade files a holder under whichever key ESUP-SGC used in its paths. */
export function apiCrousStoreHolderKeys (prefix: string, pseudonymKey: string): HolderKeysHook {
  return ({ records }) => [...new Set(records.flatMap(({ holder: { eppn, ine, crousIdentifier } }) => [eppn, ine, crousIdentifier]
    .filter((key): key is string => key !== undefined && key !== '')
    .flatMap((key) => apiCrousHolderKeys(prefix, pseudonymKey, key))))]
}

export class FacadeStore {
  readonly #redis: Redis
  readonly #prefix: string
  readonly #holder: (value: string) => string
  readonly #deadlineMs: number
  readonly tokenTtlSeconds: number

  constructor (options: FacadeStoreOptions) {
    this.#redis = options.redis
    this.#prefix = `${options.prefix}:facade-crous`
    this.#holder = pseudonymiser(options.pseudonymKey, 'holder-key')
    this.#deadlineMs = options.deadlineMs
    this.tokenTtlSeconds = options.tokenTtlSeconds
  }

  async #bounded<T> (promise: Promise<T>, what: string): Promise<T> {
    return await withDeadline(promise, this.#deadlineMs, what)
  }

  #tokenKey (token: string): string {
    return `${this.#prefix}:token:${createHash('sha256').update(token).digest('hex')}`
  }

  // Named as apiCrousHolderKeys names them.
  #holderKey (identifier: string): string {
    return `${this.#prefix}:holder:${this.#holder(identifier)}`
  }

  #cardsKey (identifier: string): string {
    return `${this.#prefix}:holder-cards:${this.#holder(identifier)}`
  }

  /**
   * A new token for `clientId`, stored hashed with its TTL so that every API replica accepts it. Earlier
   * tokens stay valid: ESUP-SGC's concurrent 401s each fetch one (esup-sgc-dropin.md §2.1).
   */
  async issueToken (clientId: string): Promise<string> {
    const token = randomBytes(32).toString('base64url')
    await this.#bounded(this.#redis.set(this.#tokenKey(token), clientId, 'EX', this.tokenTtlSeconds), 'façade token issue')
    return token
  }

  /** The client a token was issued to; undefined when unknown or expired. */
  async tokenClient (token: string): Promise<string | undefined> {
    return await this.#bounded(this.#redis.get(this.#tokenKey(token)), 'façade token check') ?? undefined
  }

  async getHolder (identifier: string): Promise<HeldHolder | undefined> {
    const hash = await this.#bounded(this.#redis.hgetall(this.#holderKey(identifier)), 'façade holder read')
    if (Object.keys(hash).length === 0) return undefined
    const held: HeldHolder = {}
    for (const field of ['sent', 'fields', 'crous'] as const) {
      const json = hash[field]
      if (json !== undefined) (held as Record<string, unknown>)[field] = JSON.parse(json)
    }
    return held
  }

  /** What ESUP-SGC wrote (C2/C3), kept beside the last CROUS answer (one hash, one field each: no lost update). */
  async saveSent (identifier: string, sent: Record<string, unknown>, fields: HolderFields): Promise<void> {
    await this.#bounded(this.#redis.hset(this.#holderKey(identifier), { sent: JSON.stringify(sent), fields: JSON.stringify(fields) }), 'façade holder write')
  }

  async saveCrousAnswer (identifier: string, crous: Record<string, unknown>): Promise<void> {
    await this.#bounded(this.#redis.hset(this.#holderKey(identifier), 'crous', JSON.stringify(crous)), 'façade holder write')
  }

  /** C4: what was held under `from` is held under `to` from now on (with the new key in the bodies). */
  async moveHolder (from: string, to: string): Promise<void> {
    const held = await this.getHolder(from)
    const cards = await this.holderCards(from)
    const transaction = this.#redis.multi()
    if (held !== undefined) {
      const renamed: HeldHolder = { ...held, ...(held.sent === undefined ? {} : { sent: { ...held.sent, identifier: to } }), ...(held.crous === undefined ? {} : { crous: { ...held.crous, identifier: to } }) }
      const fields = Object.fromEntries(Object.entries(renamed).map(([field, value]) => [field, JSON.stringify(value)]))
      transaction.del(this.#holderKey(to)).hset(this.#holderKey(to), fields).del(this.#holderKey(from))
    }
    if (cards.length > 0) transaction.sadd(this.#cardsKey(to), ...cards).del(this.#cardsKey(from))
    await this.#bounded(transaction.exec(), 'façade holder move')
  }

  async addHolderCard (identifier: string, cardId: string): Promise<void> {
    await this.#bounded(this.#redis.sadd(this.#cardsKey(identifier), cardId), 'façade holder card')
  }

  async holderCards (identifier: string): Promise<string[]> {
    return await this.#bounded(this.#redis.smembers(this.#cardsKey(identifier)), 'façade holder cards')
  }
}
