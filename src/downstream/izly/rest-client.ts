import { Agent, type Dispatcher } from 'undici'
import type { IzlyRightHolder, IzlySmartCard } from '../../domain/izly-plan.ts'
import { httpUrl } from '../http-url.ts'
import { IZLY_ALREADY_OPPOSED, IZLY_RIGHT_HOLDER_EXISTS, IZLY_UNKNOWN_HOLDER, type IzlyFailure } from './fault-classification.ts'
import { hasIzlyCode, isIzlyNotFound, izlyError } from './izly-error.ts'
import type {
  IzlyCallContext, IzlyCreateOutcome, IzlyIdentifierPatch, IzlyOppositionOutcome, IzlyOppositionRequest, IzlyPort,
  IzlyRevalidationRequest, IzlyRightHolderStatus, IzlySmartCardStatus,
} from './port.ts'
import { isHtmlPage, parseJson, readNoAnswer, readRestFailure } from './rest-failure.ts'
import { boundedRequest, deadlineSignal, type HttpAnswer, type HttpRequest } from './rest-http.ts'
import {
  oppositionBody, patchIdentifierBody, readRightHolderAnswer, readSmartCardAnswer, revalidationBody, rightHolderBody, smartCardBody,
} from './rest-mapping.ts'
import { API_CROUS_PATHS, API_CROUS_PREFIX, DEFAULT_ACCESS_URL, tokenPathFor } from './rest-paths.ts'
import { TokenError, TokenSource } from './rest-token.ts'

export interface IzlyRestClientOptions {
  /** The API CROUS base: https://api.lescrous.fr (production), https://api-pp.nuonet.fr (pre-production). */
  apiUrl: string
  /** The token server's base. @defaultValue https://acces.lescrous.fr */
  accessUrl?: string
  /** OAuth2 client credentials CNOUS issues to the institution. */
  clientId: string
  clientSecret: string
  /**
   * What sends the requests (token and API). When given, the caller owns it (and its connect timeout);
   * the client never closes it. @defaultValue an undici Agent with keep-alive, closed by close()
   */
  dispatcher?: Dispatcher
  /** Overall deadline of one call, token request included, milliseconds. @defaultValue 30000 (ESUP-SGC's read timeout) */
  timeoutMs?: number
  /** Establishing a connection, milliseconds (own dispatcher only). @defaultValue 10000 (ESUP-SGC's) */
  connectTimeoutMs?: number
  /** Largest answer body read; a larger one is refused. @defaultValue 1 MiB (a right holder is under 2 KiB) */
  maxBodyBytes?: number
  /** The clock tokens are timed with (tests). @defaultValue Date.now */
  now?: () => number
}

/** The REST transport's port, and a token check for start-up and `npm run check:izly`. */
export interface IzlyRestClient extends IzlyPort {
  readonly transport: 'rest'
  /** Fetches a fresh token now; its lifetime in seconds when the server gave one. Throws the DownstreamError. */
  checkToken (ctx?: IzlyCallContext): Promise<{ lifetimeSeconds: number | undefined, tokenUrl: string }>
  /** Token requests sent since creation (single flight makes this one for any number of concurrent calls). */
  readonly tokenRequests: number
}

const DEFAULT_TIMEOUT_MS = 30_000
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024
const USER_AGENT = 'leocarte-gateway'

interface Call {
  /** The port operation, in messages and errors (never the path: it holds identifiers). */
  operation: string
  method: HttpRequest['method']
  path: string
  body?: unknown
  /** The card's CSN, sent as the `uid` header of the card PATCH. */
  uid?: string
}

type Answer = { ok: true, answer: HttpAnswer } | { ok: false, failure: IzlyFailure }

/**
 * The Izly port over the real CNOUS API CROUS (REST, openapi/api-crous-v1.yaml), on undici: a
 * client-credentials token shared by every call (rest-token.ts), one renewal and one retry on 401/403,
 * redirects never followed, capped answers, one deadline per call. Every answer is mapped in this file
 * onto the port's outcomes or a DownstreamError classified by fault-classification.ts, as the SOAP
 * client's are. Call once and share.
 */
export function createIzlyRestClient (options: IzlyRestClientOptions): IzlyRestClient {
  const settings = checkOptions(options)
  const ownDispatcher = options.dispatcher === undefined
    ? new Agent({ connect: { timeout: settings.connectTimeoutMs }, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 30_000 })
    : undefined
  const dispatcher: Dispatcher = options.dispatcher ?? (ownDispatcher as Agent)
  const tokens = new TokenSource({
    dispatcher,
    url: settings.tokenUrl,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    userAgent: USER_AGENT,
    timeoutMs: settings.timeoutMs,
    maxBodyBytes: settings.maxBodyBytes,
    now: options.now ?? Date.now,
  })

  /** One call with a token: a 401/403 drops that token and the call is sent once more with a fresh one. */
  async function exchange (call: Call, ctx: IzlyCallContext): Promise<Answer> {
    const deadlineMs = ctx.timeoutMs ?? settings.timeoutMs
    const signal = deadlineSignal(deadlineMs)
    for (let attempt = 1; ; attempt++) {
      let token: string
      try {
        token = await tokens.get(signal)
      } catch (error) {
        if (error instanceof TokenError) return { ok: false, failure: tokenFailure(error) }
        throw error
      }
      const headers: Record<string, string> = {
        accept: 'application/json',
        authorization: `Bearer ${token}`,
        'user-agent': USER_AGENT,
        'x-correlation-id': ctx.correlationId,
      }
      if (call.body !== undefined) headers['content-type'] = 'application/json'
      if (call.uid !== undefined) headers.uid = call.uid.toUpperCase()
      const outcome = await boundedRequest(dispatcher, {
        origin: settings.origin,
        path: settings.basePath + call.path,
        method: call.method,
        headers,
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      }, { signal, maxBodyBytes: settings.maxBodyBytes })
      if (!outcome.ok) return { ok: false, failure: readNoAnswer(outcome, deadlineMs) }
      const { status } = outcome.answer
      if ((status === 401 || status === 403) && attempt === 1) {
        tokens.invalidate(token)
        continue
      }
      if (status >= 200 && status < 300) {
        // Any 2xx is success (ESUP-SGC ignores write answers), but an HTML page is a portal, not the API.
        if (isHtmlPage(outcome.answer)) return { ok: false, failure: { kind: 'invalid-response', status, detail: 'an HTML page' } }
        return { ok: true, answer: outcome.answer }
      }
      return { ok: false, failure: readRestFailure(outcome.answer) }
    }
  }

  /** A write: any 2xx is done; anything else is the DownstreamError. */
  async function write (call: Call, ctx: IzlyCallContext): Promise<void> {
    const answer = await exchange(call, ctx)
    if (!answer.ok) throw izlyError(call.operation, answer.failure)
  }

  /** A read: the JSON read by `parse`; null on the API's own 404; else the DownstreamError. */
  async function read<T> (call: Call, ctx: IzlyCallContext, parse: (json: unknown) => T | undefined): Promise<T | null> {
    const answer = await exchange(call, ctx)
    if (!answer.ok) {
      if (isIzlyNotFound(answer.failure)) return null
      throw izlyError(call.operation, answer.failure)
    }
    const value = parse(parseJson(answer.answer.text))
    if (value === undefined) throw izlyError(call.operation, { kind: 'invalid-response', status: answer.answer.status, detail: 'not the resource asked for' })
    return value
  }

  return {
    transport: 'rest',

    get tokenRequests (): number {
      return tokens.requests
    },

    async checkToken (ctx: IzlyCallContext = { correlationId: 'check' }) {
      try {
        const { lifetimeSeconds } = await tokens.fetchNow(deadlineSignal(ctx.timeoutMs ?? settings.timeoutMs))
        return { lifetimeSeconds, tokenUrl: settings.tokenUrl.origin + settings.tokenUrl.pathname }
      } catch (error) {
        if (error instanceof TokenError) throw izlyError('token', tokenFailure(error))
        throw error
      }
    },

    async getRightHolder (identifier: string, ctx: IzlyCallContext): Promise<IzlyRightHolderStatus | null> {
      return await read({ operation: 'GetRightHolder', method: 'GET', path: API_CROUS_PATHS.rightHolder(identifier) }, ctx, readRightHolderAnswer)
    },

    async createRightHolder (rightHolder: IzlyRightHolder, ctx: IzlyCallContext): Promise<IzlyCreateOutcome> {
      const call: Call = { operation: 'CreateRightHolder', method: 'POST', path: API_CROUS_PATHS.rightHolders(), body: rightHolderBody(rightHolder) }
      const answer = await exchange(call, ctx)
      if (answer.ok) return 'created'
      if (hasIzlyCode(answer.failure, IZLY_RIGHT_HOLDER_EXISTS)) return 'already-exists'
      throw izlyError(call.operation, answer.failure)
    },

    async updateRightHolder (rightHolder: IzlyRightHolder, ctx: IzlyCallContext): Promise<void> {
      await write({ operation: 'UpdateRightHolder', method: 'PUT', path: API_CROUS_PATHS.rightHolder(rightHolder.identifier), body: rightHolderBody(rightHolder) }, ctx)
    },

    async patchIdentifier (patch: IzlyIdentifierPatch, ctx: IzlyCallContext): Promise<void> {
      await write({ operation: 'PatchIdentifier', method: 'PATCH', path: API_CROUS_PATHS.rightHolder(patch.currentIdentifier), body: patchIdentifierBody(patch) }, ctx)
    },

    async uncloseRightHolder (identifier: string, ctx: IzlyCallContext): Promise<void> {
      await write({ operation: 'UncloseRightHolder', method: 'DELETE', path: API_CROUS_PATHS.closedRightHolder(identifier) }, ctx)
    },

    async registerSmartCard (identifier: string, smartCard: IzlySmartCard, ctx: IzlyCallContext): Promise<void> {
      await write({ operation: 'RegisterSmartCard', method: 'POST', path: API_CROUS_PATHS.smartCards(identifier), body: smartCardBody(smartCard) }, ctx)
    },

    async getSmartCard (identifier: string, idZdc: string, ctx: IzlyCallContext): Promise<IzlySmartCardStatus | null> {
      return await read({ operation: 'GetSmartCard', method: 'GET', path: API_CROUS_PATHS.smartCard(identifier, idZdc) }, ctx, (json) => readSmartCardAnswer(json, idZdc))
    },

    async opposeSmartCard (req: IzlyOppositionRequest, ctx: IzlyCallContext): Promise<IzlyOppositionOutcome> {
      const call: Call = { operation: 'OpposeSmartCard', method: 'PATCH', path: API_CROUS_PATHS.smartCard(req.identifier, req.idZdc), body: oppositionBody(req.reason, req.cancelDate), uid: req.uid }
      const answer = await exchange(call, ctx)
      if (answer.ok) return 'opposed'
      if (hasIzlyCode(answer.failure, IZLY_ALREADY_OPPOSED)) return 'already-opposed'
      if (isIzlyNotFound(answer.failure)) return 'not-found'
      if (hasIzlyCode(answer.failure, IZLY_UNKNOWN_HOLDER)) return 'unknown-holder'
      throw izlyError(call.operation, answer.failure)
    },

    async revalidateSmartCard (req: IzlyRevalidationRequest, ctx: IzlyCallContext): Promise<void> {
      await write({ operation: 'RevalidateSmartCard', method: 'PATCH', path: API_CROUS_PATHS.smartCard(req.identifier, req.idZdc), body: revalidationBody(req.revalidationDate), uid: req.uid }, ctx)
    },

    async close (): Promise<void> {
      await ownDispatcher?.close()
    },
  }
}

function tokenFailure (error: TokenError): IzlyFailure {
  return {
    kind: 'token',
    reason: error.reason,
    ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus }),
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
  }
}

interface Settings {
  origin: string
  basePath: string
  tokenUrl: URL
  timeoutMs: number
  connectTimeoutMs: number
  maxBodyBytes: number
}

function checkOptions (options: IzlyRestClientOptions): Settings {
  const api = httpUrl(options.apiUrl, 'Izly REST client: apiUrl')
  const access = httpUrl(options.accessUrl ?? DEFAULT_ACCESS_URL, 'Izly REST client: accessUrl')
  for (const [name, url] of [['apiUrl', api], ['accessUrl', access]] as const) {
    if (url.search !== '' || url.hash !== '') throw new TypeError(`Izly REST client: ${name} takes no query or fragment`)
  }
  const basePath = api.pathname.replace(/\/+$/, '')
  if (basePath.endsWith(API_CROUS_PREFIX)) throw new TypeError(`Izly REST client: apiUrl is the API base (https://api.lescrous.fr), without ${API_CROUS_PREFIX}`)
  for (const name of ['clientId', 'clientSecret'] as const) {
    const value = options[name]
    if (typeof value !== 'string' || value === '') throw new TypeError(`Izly REST client: ${name} is required (OAuth2 client credentials issued by CNOUS)`)
  }
  if (options.clientId.includes(':')) throw new TypeError('Izly REST client: clientId cannot hold ":" (HTTP Basic)')
  const positive = (name: 'timeoutMs' | 'connectTimeoutMs' | 'maxBodyBytes', fallback: number): number => {
    const value = options[name] ?? fallback
    if (!Number.isInteger(value) || value <= 0) throw new TypeError(`Izly REST client: ${name} must be a positive integer`)
    return value
  }
  const tokenUrl = new URL(access.href.replace(/\/+$/, '') + tokenPathFor(options.apiUrl))
  tokenUrl.search = '?grant_type=client_credentials'
  return {
    origin: api.origin,
    basePath,
    tokenUrl,
    timeoutMs: positive('timeoutMs', DEFAULT_TIMEOUT_MS),
    connectTimeoutMs: positive('connectTimeoutMs', DEFAULT_CONNECT_TIMEOUT_MS),
    maxBodyBytes: positive('maxBodyBytes', DEFAULT_MAX_BODY_BYTES),
  }
}
