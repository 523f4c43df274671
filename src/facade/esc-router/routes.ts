import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { CardEvent } from '../../domain/card-event.ts'
import type { CardRecord } from '../../domain/card-record.ts'
import { isExpired } from '../../domain/esc-identifiers.ts'
import { isEscActive } from '../../domain/esc-plan.ts'
import { isRegistryUnavailable } from '../../app/registry-unavailable.ts'
import { type IntakeService, REGISTRY_RETRY_AFTER_SECONDS } from '../../intake/intake-service.ts'
import { fingerprint } from '../../intake/normalise.ts'
import type { CardIdentifierKind } from '../../registry/keys.ts'
import { isAcceptedKey } from './bearer.ts'
import { type FacadePerson, isUsableIdentifier, parseCardBody, parsePersonBody } from './bodies.ts'
import { cardDeleteEvent, cardWriteEvent, consentWithdrawnEvent, personUpdateEvent } from './card-events.ts'
import { ACCESS_DENIED, FACADE_CODES, sendRouterError } from './error-body.ts'
import type { PersonStore } from './person-store.ts'
import type { RouterReads } from './router-reads.ts'

/** Where the façade hangs: ESUP-SGC's `europeanStudentCardService.webUrl` is `https://<gateway>` + this. */
export const ESC_FACADE_BASE = '/esc-router/api/v2'

/** Whether a request URL names a person by their ESI (which holds the INE): Fastify's request lines must not log it (build-app.ts). */
export function carriesPersonIdentifier (url: string): boolean {
  return url.startsWith(`${ESC_FACADE_BASE}/persons/`)
}

/** Largest body read: a PersonUpdateView or CardUpdateView of ESUP-SGC is well under 1 KiB. */
export const ESC_FACADE_BODY_LIMIT = 16 * 1024

export interface EscFacadeRoutesOptions {
  /** SGC_ESC_KEYS; none: every call is a 401. */
  keys: readonly string[]
  intake: IntakeService
  registry: {
    findCard (kind: CardIdentifierKind, value: string): Promise<CardRecord | undefined>
    getCard (cardId: string): Promise<CardRecord | undefined>
    getSync (downstream: 'esc', cardId: string): Promise<{ remoteHolder?: string }>
  }
  persons: PersonStore
  router: RouterReads
  /** Whether the gateway has an ESC downstream (a person DELETE with no card to hang it on goes straight to it). */
  routerConfigured: boolean
  /** The current day, YYYY-MM-DD, in VALIDITY_TIME_ZONE (an expired card's status). */
  today: () => string
  now?: () => number
}

/**
 * ESUP-SGC's ESC Router connector (ApiEscService, calls E1–E9 of esup-sgc-dropin.md §3), served as the
 * router V2 serves it, with answers that keep ESUP-SGC safe: a write is 2xx once it is durable in Redis
 * (the card work goes through the one intake to the ESC lanes), and 503 only when it cannot be; a read
 * is the real router's answer within FACADE_READ_DEADLINE_MS, else what the gateway holds. Every error
 * body is exactly `{code, message}`. Register with `{ prefix: ESC_FACADE_BASE }`.
 */
export function escFacadeRoutes (options: EscFacadeRoutesOptions) {
  const { keys, intake, registry, persons, router } = options
  const now = options.now ?? Date.now

  async function accept (event: CardEvent | undefined): Promise<void> {
    if (event !== undefined) await intake.accept(event, fingerprint(event))
  }
  const context = (): { eventId: string, nowMs: number } => ({ eventId: `esc-facade-${randomUUID()}`, nowMs: now() })

  return async function escFacade (app: FastifyInstance): Promise<void> {
    // Bodies are read only here, only after the key matched (onRequest runs before any byte is parsed).
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: ESC_FACADE_BODY_LIMIT }, (_request, body, done) => {
      const text = (body as Buffer).toString('utf8')
      if (text.trim() === '') { done(null, undefined); return }
      try {
        done(null, JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body as Buffer)))
      } catch {
        done(Object.assign(new Error('the body is not valid UTF-8 JSON'), { statusCode: 400, code: 'MALFORMED_JSON' }), undefined)
      }
    })

    app.addHook('onRequest', async (request, reply) => {
      if (isAcceptedKey(keys, request.headers.authorization)) return
      request.log.warn('ESC façade call refused: missing or unknown key')
      return sendRouterError(reply, 401, ACCESS_DENIED, 'Access denied')
    })

    app.setErrorHandler((error, request, reply) => {
      if (isRegistryUnavailable(error)) {
        request.log.error({ err: error instanceof Error ? error.message : String(error) }, 'ESC façade: Redis unavailable, the call was not stored')
        reply.header('retry-after', String(REGISTRY_RETRY_AFTER_SECONDS))
        return sendRouterError(reply, 503, FACADE_CODES.unavailable, 'the gateway cannot store this change now; nothing was changed, send it again')
      }
      const status = (error as { statusCode?: number }).statusCode
      if (status === 413) return sendRouterError(reply, 413, FACADE_CODES.tooLarge, `the body is over ${ESC_FACADE_BODY_LIMIT} bytes`)
      if (status !== undefined && status >= 400 && status < 500) return sendRouterError(reply, status, FACADE_CODES.badRequest, error instanceof Error ? error.message : 'bad request')
      request.log.error({ err: error }, 'ESC façade call failed')
      return sendRouterError(reply, 500, FACADE_CODES.failed, 'the gateway failed to handle this call')
    })
    app.setNotFoundHandler((request, reply) => sendRouterError(reply, 404, FACADE_CODES.notFound, `${request.method} is not an ESC Router call the gateway serves here`))

    const badRequest = (reply: FastifyReply, message: string): FastifyReply => sendRouterError(reply, 400, FACADE_CODES.badRequest, message)
    const identifier = (request: FastifyRequest, name: 'esi' | 'escn'): string | undefined => {
      const value = (request.params as Record<string, string | undefined>)[name]
      return value !== undefined && isUsableIdentifier(value) ? value : undefined
    }
    const json = (reply: FastifyReply, status: number, body: unknown): FastifyReply => reply.code(status).type('application/json').send(JSON.stringify(body))

    // E1: whether the router holds the person. 200 sends ESUP-SGC to a PUT, 404 to a POST: both are taken.
    app.get('/persons/:esi', async (request, reply) => {
      const esi = identifier(request, 'esi')
      if (esi === undefined) return badRequest(reply, 'the ESI in the path is not usable text of at most 255 characters')
      const held = await persons.get(esi).catch(() => undefined)
      const exists = held !== undefined || await router.personExists(esi) === true
      return exists ? json(reply, 200, { identifier: esi }) : sendRouterError(reply, 404, FACADE_CODES.notFound, 'Person not found')
    })

    // E2 and E3: the person, kept for the card that follows and sent again for their enabled cards.
    const writePerson = async (person: FacadePerson): Promise<void> => {
      await persons.put(person)
      for (const cardId of await persons.cardIds(person.esi)) {
        const current = await registry.getCard(cardId)
        if (current !== undefined) await accept(personUpdateEvent(person, current, context()))
      }
    }
    app.post('/persons', async (request, reply) => {
      const parsed = parsePersonBody(request.body)
      if (!parsed.ok) return badRequest(reply, parsed.message)
      await writePerson(parsed.value)
      return json(reply, 201, { identifier: parsed.value.esi })
    })
    app.put('/persons/:esi', async (request, reply) => {
      const esi = identifier(request, 'esi')
      if (esi === undefined) return badRequest(reply, 'the ESI in the path is not usable text of at most 255 characters')
      const parsed = parsePersonBody(request.body, esi)
      if (!parsed.ok) return badRequest(reply, parsed.message)
      await writePerson(parsed.value)
      return json(reply, 200, { identifier: parsed.value.esi })
    })

    // E4: opt-out, or a CADUC's second call. Consent withdrawn on each card of theirs: the ESC lane
    // deletes what it registered. A person the gateway holds no card of is deleted at the router now.
    app.delete('/persons/:esi', async (request, reply) => {
      const esi = identifier(request, 'esi')
      if (esi === undefined) return badRequest(reply, 'the ESI in the path is not usable text of at most 255 characters')
      const records = (await Promise.all((await persons.cardIds(esi)).map(async (cardId) => await registry.getCard(cardId))))
        .filter((record): record is CardRecord => record !== undefined)
      for (const record of records) await accept(consentWithdrawnEvent(record, context()))
      // ESUP-SGC holds this person as registered at the router. When the gateway never saw the router confirm
      // it (an answer lost after the router applied it), the lane would find nothing to delete: ask the router
      // now, best effort; if it does not answer, the person was most likely never sent (the router was down).
      const unconfirmed = records.length > 0 && options.routerConfigured &&
        (await Promise.all(records.map(async (record) => (await registry.getSync('esc', record.card.id)).remoteHolder))).every((holder) => holder === undefined)
      if (unconfirmed) await router.deletePerson(esi)
      if (records.length === 0 && options.routerConfigured && !await router.deletePerson(esi)) {
        request.log.warn('ESC façade: person DELETE for a person the gateway holds no card of, and the router did not answer: 503')
        reply.header('retry-after', String(REGISTRY_RETRY_AFTER_SECONDS))
        return sendRouterError(reply, 503, FACADE_CODES.unavailable, 'the router cannot be reached to delete this person now; nothing was changed, send it again')
      }
      await persons.forget(esi)
      return reply.code(204).send()
    })

    // E5 and E6: the card, ACTIVE for an enabled card.
    const writeCard = async (request: FastifyRequest, reply: FastifyReply, status: number, pathEscn?: string): Promise<FastifyReply> => {
      const parsed = parseCardBody(request.body, pathEscn)
      if (!parsed.ok) return badRequest(reply, parsed.message)
      const card = parsed.value
      const [current, person] = await Promise.all([registry.findCard('escn', card.escn), persons.get(card.esi)])
      const event = cardWriteEvent(card, current, person, context())
      // Both durable before the answer; neither needs the other.
      await Promise.all([persons.addCard(card.esi, event?.card.id ?? (current as CardRecord).card.id), accept(event)])
      request.log.info({ escn: card.escn, status: card.active ? 'ACTIVE' : 'INACTIVE', changed: event !== undefined }, 'ESC façade: card stored')
      return json(reply, status, { cardNumber: card.escn })
    }
    app.post('/cards', async (request, reply) => await writeCard(request, reply, 201))
    app.put('/cards/:escn', async (request, reply) => {
      const escn = identifier(request, 'escn')
      if (escn === undefined) return badRequest(reply, 'the ESCN in the path is not usable text of at most 255 characters')
      return await writeCard(request, reply, 200, escn)
    })

    // E7: ESUP-SGC deletes its card at the router when it disables it; the gateway owns that DELETE now.
    app.delete('/cards/:escn', async (request, reply) => {
      const escn = identifier(request, 'escn')?.toLowerCase()
      if (escn === undefined) return badRequest(reply, 'the ESCN in the path is not usable text of at most 255 characters')
      const current = await registry.findCard('escn', escn)
      const event = cardDeleteEvent(escn, current, context())
      await accept(event)
      request.log.info({ escn, changed: event !== undefined }, 'ESC façade: card removal stored')
      return reply.code(204).send()
    })

    // E8: manager display only. The router's status, else the gateway's own view of the card.
    app.get('/cards/:escn/status', async (request, reply) => {
      const escn = identifier(request, 'escn')?.toLowerCase()
      if (escn === undefined) return badRequest(reply, 'the ESCN in the path is not usable text of at most 255 characters')
      const [remote, held] = await Promise.all([router.cardStatus(escn), registry.findCard('escn', escn).catch(() => undefined)])
      if (remote !== undefined && remote !== null) return json(reply, 200, statusView(remote))
      if (held !== undefined) return json(reply, 200, heldStatus(held, options.today()))
      return sendRouterError(reply, 404, FACADE_CODES.notFound, 'Card not found')
    })

    // E9: the purge tool's list. The router's page, else an empty one (nothing is then purged).
    app.get('/persons', async (request, reply) => {
      const query = request.query as Record<string, unknown>
      const page = whole(query.page, 0)
      const size = whole(query.size, 10)
      if (page === undefined || size === undefined || size < 1) return badRequest(reply, 'page and size must be whole numbers (size at least 1)')
      const remote = await router.listPersons(page, size)
      if (remote === undefined) return json(reply, 200, { content: [], page: { number: page, size, totalElements: 0, totalPages: 0 } })
      const content = remote.content
        .filter((person): person is { identifier: string } => typeof (person as { identifier?: unknown })?.identifier === 'string')
        .map((person) => ({ identifier: person.identifier }))
      return json(reply, 200, { content, page: pageView(remote.page, page, size, content.length) })
    })
  }
}

/** CardStatusView with its documented fields only (ESUP-SGC only shows it). */
function statusView (remote: Record<string, unknown>): Record<string, unknown> {
  const view: Record<string, unknown> = {}
  for (const name of ['cardNumber', 'displayName', 'issuedAt', 'expiresAt', 'issuerIdentifier', 'issuerName', 'status']) {
    if (typeof remote[name] === 'string') view[name] = remote[name]
  }
  return view
}

/** The status the router will show once the gateway's work for the card is done. */
function heldStatus (record: CardRecord, today: string): Record<string, unknown> {
  const expiresAt = record.card.expiresAt ?? record.holder.dueDate?.slice(0, 10)
  const status = !isEscActive(record) ? 'INACTIVE' : (expiresAt !== undefined && isExpired(expiresAt, today) ? 'EXPIRED' : 'ACTIVE')
  const view: Record<string, unknown> = { cardNumber: record.card.escn, status }
  if (record.card.issuedAt !== undefined) view.issuedAt = record.card.issuedAt
  if (expiresAt !== undefined) view.expiresAt = expiresAt
  if (record.holder.pic !== undefined) view.issuerIdentifier = record.holder.pic
  return view
}

/** ESUP-SGC's page class reads exactly these four numbers (no ignore-unknown). */
function pageView (remote: Record<string, unknown>, page: number, size: number, count: number): Record<string, number> {
  const number = (value: unknown, fallback: number): number => typeof value === 'number' && Number.isSafeInteger(value) ? value : fallback
  return { number: number(remote.number, page), size: number(remote.size, size), totalElements: number(remote.totalElements, count), totalPages: number(remote.totalPages, count > 0 ? 1 : 0) }
}

function whole (value: unknown, fallback: number): number | undefined {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) return undefined
  return Number(value)
}
