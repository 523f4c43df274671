import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import type { CardEvent, Holder } from '../../domain/card-event.ts'
import type { CardRecord } from '../../domain/card-record.ts'
import type { IzlyPort } from '../../downstream/izly/port.ts'
import type { IntakeService } from '../../intake/intake-service.ts'
import { RegistryUnavailableError } from '../../intake/intake-service.ts'
import { canonicalJson } from '../../intake/normalise.ts'
import type { Registry } from '../../registry/registry.ts'
import { isRedisUnavailable, withDeadline } from '../../registry/unavailable.ts'
import { crousError, holdsRegistration, rightHolderAnswer, safeRightHolderAnswer, smartCardAnswer } from './answers.ts'
import { type CardPatch, type HolderFields, readCsn } from './bodies.ts'
import type { FacadeStore } from './store.ts'

/** What a façade operation answers; the routes send it as is. */
export interface FacadeAnswer {
  status: number
  body?: unknown
}

export interface FacadeServiceOptions {
  registry: Registry
  intake: IntakeService
  store: FacadeStore
  /** The real CROUS (the configured Izly port); undefined: reads answer from what the gateway holds. */
  izly: IzlyPort | undefined
  timeZone: string
  /** FACADE_READ_DEADLINE_MS: how long a read waits for the real CROUS before answering from what is held. */
  readDeadlineMs: number
  /** REDIS_REQUEST_TIMEOUT_MS: a registry lookup past it is a 503. */
  redisDeadlineMs: number
  logger: Logger
  now?: () => number
}

/** The prefix of the card ids the façade gives cards it meets first: `crous-zdc-<idZdc>` (stable, one per CROUS card number). */
export const FACADE_CARD_ID_PREFIX = 'crous-zdc-'

const NO_CONTENT: FacadeAnswer = { status: 204 }

/**
 * The API CROUS façade's work (SPEC §11, esup-sgc-dropin.md §2): every ESUP-SGC call C1–C10 turned into
 * answers that keep ESUP-SGC safe and into card work of the registry. A write answers 2xx only once the
 * card events it implies are durable (the intake's Lua path); reads ask the real CROUS within a short
 * deadline and fall back on what the gateway holds. Redis being unavailable surfaces as a
 * RegistryUnavailableError (the routes' 503).
 */
export function createApiCrousFacade (options: FacadeServiceOptions) {
  const { registry, intake, store, izly, timeZone, readDeadlineMs, logger } = options
  const now = options.now ?? Date.now

  async function find (kind: 'idZdc' | 'csn', value: string): Promise<CardRecord | undefined> {
    try {
      return await withDeadline(registry.findCard(kind, value), options.redisDeadlineMs, 'façade card lookup')
    } catch (error) {
      throw isRedisUnavailable(error) ? new RegistryUnavailableError(error) : error
    }
  }

  async function bounded<T> (promise: Promise<T>): Promise<T> {
    try {
      return await promise
    } catch (error) {
      throw isRedisUnavailable(error) ? new RegistryUnavailableError(error) : error
    }
  }

  /** The card by its CROUS number, else by its chip serial: one card whichever adapter met it first. */
  async function findCard (idZdc: string | undefined, csn: string | undefined): Promise<CardRecord | undefined> {
    const byZdc = idZdc === undefined ? undefined : await find('idZdc', idZdc)
    if (byZdc !== undefined) return byZdc
    return csn === undefined ? undefined : await find('csn', csn)
  }

  /** The card events one call implies, accepted one by one; a conflict is a bug of ours (the id is the content's hash). */
  async function accept (event: CardEvent, fingerprint: string): Promise<void> {
    const result = await intake.accept(event, fingerprint)
    if (result.status === 'conflict') throw new Error(`façade event ${event.eventId} conflicts with an earlier one`)
  }

  /** Façade calls arrive in ESUP-SGC's order: a state change is placed after whatever the card holds. */
  function after (record: CardRecord | undefined, at: string | undefined): string {
    const wanted = at === undefined ? now() : Date.parse(at)
    const floor = record === undefined ? 0 : record.occurredAtMs + 1
    return new Date(Math.max(wanted, floor)).toISOString()
  }

  function holderFor (identifier: string, record: CardRecord | undefined, fields: HolderFields | undefined): Holder {
    return {
      ...record?.holder,
      ...fields,
      // The registry's holder key stays what the first adapter gave; the CROUS key is ESUP-SGC's.
      eppn: record?.holder.eppn ?? identifier,
      crousIdentifier: identifier,
      // ESUP-SGC calls CROUS only for a user with user.crous = true; the ESC consent is another adapter's.
      consents: { crous: true, esc: record?.holder.consents?.esc ?? false },
    }
  }

  /**
   * A holder write (C2, C3, C4) reaches CROUS through the card work of the holder's cards: each is
   * re-asserted in its state at the same instant (so it never overtakes a state change), with the new
   * holder fields; the Izly sync then applies SPEC §5's rules against the real CROUS (a holder it does not
   * know is created). `states`: which cards (an enabled card's work syncs the holder; any card's work uses the key).
   */
  async function reassertCards (identifier: string, callHash: string, update: (record: CardRecord) => Holder, onlyEnabled: boolean): Promise<number> {
    const ids = new Set(await bounded(store.holderCards(identifier)))
    const listed = await bounded(withDeadline(registry.listHolderCards(identifier), options.redisDeadlineMs, 'façade holder cards'))
    const records = new Map(listed.map((record) => [record.card.id, record]))
    for (const id of ids) {
      if (records.has(id)) continue
      const record = await bounded(withDeadline(registry.getCard(id), options.redisDeadlineMs, 'façade card read'))
      if (record !== undefined) records.set(id, record)
    }
    let count = 0
    for (const record of records.values()) {
      if (onlyEnabled && record.card.state !== 'ENABLED') continue
      const eventId = `crous-facade:${callHash}:${record.card.id}`
      await accept({ eventId, occurredAt: record.occurredAt, card: { ...record.card }, holder: update(record) }, eventId)
      count++
    }
    return count
  }

  async function readPeer<T> (call: (timeoutMs: number) => Promise<T>, what: string): Promise<{ ok: true, value: T } | { ok: false }> {
    if (izly === undefined) return { ok: false }
    try {
      return { ok: true, value: await call(readDeadlineMs) }
    } catch (error) {
      // The code only: a message may quote what CROUS said about the holder.
      logger.info({ code: (error as { code?: unknown }).code ?? (error instanceof Error ? error.name : 'error'), what }, 'API CROUS façade: the real CROUS did not answer in time or failed; answered from what the gateway holds')
      return { ok: false }
    }
  }

  return {
    /** C1. Never 404 (it would null ESUP-SGC's stored key and, with a past due date, skip the opposition). */
    async getRightHolder (identifier: string, correlationId: string): Promise<FacadeAnswer> {
      const held = await bounded(store.getHolder(identifier))
      const live = await readPeer(async (timeoutMs) => await izly!.getRightHolder(identifier, { correlationId, timeoutMs }), 'GetRightHolder')
      let answer: Record<string, unknown>
      if (live.ok && live.value !== null) {
        answer = rightHolderAnswer(live.value, timeZone)
        // Best effort: the fallback for the next C1 while CROUS is out of reach.
        await store.saveCrousAnswer(identifier, answer).catch(() => {})
      } else {
        answer = held?.sent ?? held?.crous ?? { identifier }
      }
      return { status: 200, body: safeRightHolderAnswer(answer, identifier, held?.sent?.idCompanyRate) }
    },

    /** C2 (identifier from the body) and C3 (from the path). */
    async writeRightHolder (identifier: string, sent: Record<string, unknown>, fields: HolderFields, callHash: string): Promise<FacadeAnswer> {
      await bounded(store.saveSent(identifier, { ...sent, identifier }, fields))
      await reassertCards(identifier, callHash, (record) => holderFor(identifier, record, fields), true)
      return NO_CONTENT
    },

    /** C4: the holder's key moves; the cards carry the new key, and the Izly sync patches it at CROUS. */
    async patchIdentifier (current: string, next: string, callHash: string): Promise<FacadeAnswer> {
      await reassertCards(current, callHash, (record) => ({ ...record.holder, crousIdentifier: next }), false)
      await bounded(store.moveHolder(current, next))
      return NO_CONTENT
    },

    /** C5: 200 only for a card whose registration the gateway holds, else 404 so that ESUP-SGC sends C6. */
    async getSmartCard (idZdc: string): Promise<FacadeAnswer> {
      const record = await findCard(idZdc, undefined)
      if (record === undefined || !holdsRegistration(record)) return { status: 404, body: crousError('404', 'smart card not known to the gateway') }
      return { status: 200, body: smartCardAnswer(record, timeZone) }
    },

    /** C6: registration with the full CROUS card data: the card is ENABLED with it. */
    async registerSmartCard (identifier: string, csn: string, crous: NonNullable<CardEvent['card']['crous']>, callHash: string): Promise<FacadeAnswer> {
      const record = await findCard(crous.idZdc, csn)
      const held = await bounded(store.getHolder(identifier))
      const cardId = record?.card.id ?? `${FACADE_CARD_ID_PREFIX}${crous.idZdc}`
      const eventId = `crous-facade:${callHash}`
      await accept({
        eventId,
        occurredAt: after(record, undefined),
        card: { id: cardId, state: 'ENABLED', csn, crous },
        holder: holderFor(identifier, record, held?.fields),
      }, eventId)
      await bounded(store.addHolderCard(identifier, cardId))
      return { status: 201 }
    },

    /** C7 (revalidation: ENABLED) and C8 (opposition: DISABLED with the reason; 2xx once durable, always). */
    async patchSmartCard (identifier: string, idZdc: string, uid: string | undefined, patch: CardPatch, callHash: string): Promise<FacadeAnswer> {
      const csn = readCsn(uid)
      const record = await findCard(idZdc, csn)
      const eventId = `crous-facade:${callHash}`
      const knownKey = identifier === 'null' ? undefined : identifier
      if (patch.kind === 'revalidate') {
        // ESUP-SGC revalidates only after a 200 on C5, which needs the registration data.
        if (record === undefined || !holdsRegistration(record)) return { status: 404, body: crousError('404', 'smart card not known to the gateway') }
        const held = knownKey === undefined ? undefined : await bounded(store.getHolder(knownKey))
        await accept({
          eventId,
          occurredAt: after(record, patch.at),
          card: { id: record.card.id, state: 'ENABLED', ...(csn === undefined ? {} : { csn }) },
          holder: knownKey === undefined ? record.holder : holderFor(knownKey, record, held?.fields),
        }, eventId)
        return NO_CONTENT
      }
      // An opposition of a card the gateway never met (registered by ESUP-SGC before the switch): kept
      // with what the call gives (idZdc, CSN, holder key); the Izly sync opposes it under that key.
      const cardId = record?.card.id ?? `${FACADE_CARD_ID_PREFIX}${idZdc}`
      const holder: Holder = record !== undefined
        ? (knownKey === undefined ? record.holder : { ...record.holder, crousIdentifier: knownKey })
        : { eppn: identifier, ...(knownKey === undefined ? {} : { crousIdentifier: knownKey }), consents: { crous: true, esc: false } }
      await accept({
        eventId,
        occurredAt: after(record, patch.at),
        card: {
          id: cardId,
          state: 'DISABLED',
          ...(patch.reason === undefined ? {} : { disableReason: patch.reason }),
          ...(csn === undefined ? {} : { csn }),
          ...(record?.card.crous === undefined ? { crous: { idZdc, idTransmitter: 0, idMapping: 0, zdcCreationDate: '' } } : {}),
        },
        holder,
      }, eventId)
      if (knownKey !== undefined) await bounded(store.addHolderCard(knownKey, cardId))
      return NO_CONTENT
    },

    /**
     * C10 re-opens a closed account at CROUS. It is forwarded at once within the read deadline, not queued:
     * ESUP-SGC only shows an error when it fails (no rollback, no opposition depends on it), so a 503
     * "nothing done, try again" is the honest answer while CROUS is out of reach.
     */
    async uncloseRightHolder (identifier: string, correlationId: string): Promise<FacadeAnswer> {
      const done = await readPeer(async (timeoutMs) => { await izly!.uncloseRightHolder(identifier, { correlationId, timeoutMs }) }, 'UncloseRightHolder')
      if (done.ok) return NO_CONTENT
      return { status: 503, body: crousError('503', 'CROUS could not be reached to re-open the account; nothing was done, try again later') }
    },

    /** C9: `[]`, which ESUP-SGC reads as "keep the rules you have": tariff data is never invented. */
    tariffRules (): FacadeAnswer {
      return { status: 200, body: [] }
    },
  }
}

export type ApiCrousFacade = ReturnType<typeof createApiCrousFacade>

/** The identity of one call's content: its event id and fingerprint (a resent call is a duplicate, whatever its key order). */
export function callHash (parts: { method: string, route: string, params: Record<string, string>, uid?: string | undefined, body?: unknown }): string {
  return createHash('sha256').update(canonicalJson({ ...parts, uid: parts.uid ?? null, body: parts.body ?? null })).digest('hex').slice(0, 40)
}
