import { Agent, type Dispatcher } from 'undici'
import { boundedRequest, DeadlineExceededError, ResponseTooLargeError } from '../bounded-request.ts'
import { checkEscCard, checkEscPerson, type EscProblem } from '../../domain/esc-checks.ts'
import type { EscCard, EscPerson } from '../../domain/esc-plan.ts'
import { httpUrl } from '../http-url.ts'
import { parseRetryAfter } from '../retry-after.ts'
import { ESC_CARD_EXISTS, ESC_PERSON_EXISTS, type EscFailure, escError } from './failure.ts'
import { ESC_PATHS } from './paths.ts'
import type { EscCallContext, EscCardStatusView, EscDeleteOutcome, EscPort, EscUpsertOutcome } from './port.ts'

export type * from './port.ts'

export interface EscClientOptions {
  /** REST base of the router, ending in `/esc-rest` (production or sandbox; see the README's ESC Router section). */
  baseUrl: string
  /** API token, sent as `Authorization: Bearer` on every call except the public card status. */
  token: string
  /**
   * What sends the requests. When given, the caller owns it (and its connect timeout); the client never
   * closes it. @defaultValue an undici Agent with keep-alive, closed by close()
   */
  dispatcher?: Dispatcher
  /** Establishing a connection, milliseconds (own dispatcher only). @defaultValue 10000 */
  connectTimeoutMs?: number
  /** From sending the request to the answer's headers, milliseconds. @defaultValue 10000 (the EDU client's; ≥ 10 s per esc-router.md §8) */
  headersTimeoutMs?: number
  /** Longest silence while the answer's body arrives, milliseconds. @defaultValue 10000 */
  bodyTimeoutMs?: number
  /** How long an idle kept-alive connection is kept, milliseconds (own dispatcher only). @defaultValue 30000 */
  keepAliveTimeoutMs?: number
  /** The whole call, connect, headers and body, milliseconds (a body trickling in is cut too). @defaultValue 10000 */
  deadlineMs?: number
  /** Largest answer body read, bytes (a router answer is a few KiB). @defaultValue 1048576 */
  maxResponseBytes?: number
}

const DEFAULT_TIMEOUT_MS = 10_000
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024
const USER_AGENT = 'leocarte-gateway'

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** The JSON body, or undefined when there was none or it was not JSON (an HTML error page). */
  json: unknown
}

interface Call {
  /** For messages: `POST person`, never the path (which may hold an ESI). */
  operation: string
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  path: string
  body?: unknown
  /** false only for the public status. */
  auth: boolean
}

/**
 * The ESC Router V2 client (openapi/esc-router-v2.yaml) on undici: Bearer token, explicit timeouts and
 * one deadline per call, kept-alive connections, answers read up to a size cap, and redirects never
 * followed (the token would go along): see bounded-request.ts. Upserts are a POST
 * then, on 409, a PUT of the complete object; a DELETE answering 404 is done.
 */
export function createEscClient (options: EscClientOptions): EscPort {
  const settings = checkOptions(options)
  const ownDispatcher = options.dispatcher === undefined
    ? new Agent({
      connect: { timeout: settings.connectTimeoutMs },
      keepAliveTimeout: settings.keepAliveTimeoutMs,
      keepAliveMaxTimeout: settings.keepAliveTimeoutMs,
    })
    : undefined
  const dispatcher: Dispatcher = options.dispatcher ?? (ownDispatcher as Agent)

  async function send (call: Call, ctx: EscCallContext): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': USER_AGENT, 'x-correlation-id': ctx.correlationId }
    if (call.auth) headers.authorization = `Bearer ${settings.token}`
    if (call.body !== undefined) headers['content-type'] = 'application/json'
    const request: Dispatcher.RequestOptions = {
      origin: settings.origin,
      path: settings.basePath + call.path,
      method: call.method,
      headers,
      body: call.body === undefined ? null : JSON.stringify(call.body),
      headersTimeout: settings.headersTimeoutMs,
      bodyTimeout: settings.bodyTimeoutMs,
    }
    let answer: Answer & { text: string }
    try {
      const response = await boundedRequest(dispatcher, request, { maxBytes: settings.maxResponseBytes, deadlineMs: settings.deadlineMs })
      const text = response.body.toString('utf8')
      answer = { status: response.statusCode, headers: response.headers, json: parseJson(text), text }
    } catch (error) {
      throw escError(call.operation, networkFailure(error))
    }
    // The router answers JSON or nothing: a 2xx page of something else (a proxy's maintenance page) is no success.
    if (isSuccess(answer.status) && answer.json === undefined && answer.text.trim() !== '') throw escError(call.operation, { kind: 'invalid-response', status: answer.status })
    return answer
  }

  function fail (call: Call, answer: Answer): never {
    throw escError(call.operation, answerFailure(answer))
  }

  /** POST, then on 409 with the "already exists" code (or no code) a PUT of the same complete object. */
  async function upsert (create: Call, replace: Call, existsCode: string, ctx: EscCallContext): Promise<EscUpsertOutcome> {
    const created = await send(create, ctx)
    if (isSuccess(created.status)) return 'created'
    if (created.status !== 409) fail(create, created)
    const code = routerCode(created.json)
    if (code !== undefined && code !== existsCode) fail(create, created)
    const replaced = await send(replace, ctx)
    if (isSuccess(replaced.status)) return 'updated'
    fail(replace, replaced)
  }

  /** Whether the router holds what the call is about: a 2xx is yes, a 404 no, anything else a failure. */
  async function found (call: Call, ctx: EscCallContext): Promise<boolean> {
    const answer = await send(call, ctx)
    if (isSuccess(answer.status)) return true
    if (answer.status === 404) return false
    fail(call, answer)
  }

  async function remove (call: Call, ctx: EscCallContext): Promise<EscDeleteOutcome> {
    return await found(call, ctx) ? 'deleted' : 'not-found'
  }

  return {
    async upsertPerson (person: EscPerson, ctx: EscCallContext): Promise<EscUpsertOutcome> {
      refuse('POST person', checkEscPerson(person))
      return await upsert(
        { operation: 'POST person', method: 'POST', path: ESC_PATHS.persons(), body: person, auth: true },
        { operation: 'PUT person', method: 'PUT', path: ESC_PATHS.person(person.identifier), body: person, auth: true },
        ESC_PERSON_EXISTS, ctx)
    },

    async upsertCard (card: EscCard, ctx: EscCallContext): Promise<EscUpsertOutcome> {
      refuse('POST card', checkEscCard(card))
      return await upsert(
        { operation: 'POST card', method: 'POST', path: ESC_PATHS.cards(), body: card, auth: true },
        { operation: 'PUT card', method: 'PUT', path: ESC_PATHS.card(card.cardNumber), body: card, auth: true },
        ESC_CARD_EXISTS, ctx)
    },

    async replaceCard (card: EscCard, ctx: EscCallContext): Promise<'updated' | 'not-found'> {
      refuse('PUT card', checkEscCard(card))
      const call: Call = { operation: 'PUT card', method: 'PUT', path: ESC_PATHS.card(card.cardNumber), body: card, auth: true }
      return await found(call, ctx) ? 'updated' : 'not-found'
    },

    async deleteCard (escn: string, ctx: EscCallContext): Promise<EscDeleteOutcome> {
      return await remove({ operation: 'DELETE card', method: 'DELETE', path: ESC_PATHS.card(escn), auth: true }, ctx)
    },

    async deletePerson (esi: string, ctx: EscCallContext): Promise<EscDeleteOutcome> {
      return await remove({ operation: 'DELETE person', method: 'DELETE', path: ESC_PATHS.person(esi), auth: true }, ctx)
    },

    async cardStatus (escn: string, ctx: EscCallContext): Promise<EscCardStatusView | null> {
      const call: Call = { operation: 'GET card status', method: 'GET', path: ESC_PATHS.cardStatus(escn), auth: false }
      const answer = await send(call, ctx)
      if (answer.status === 404) return null
      if (!isSuccess(answer.status) || !isStatusView(answer.json)) fail(call, answer)
      return answer.json
    },

    async close (): Promise<void> {
      await ownDispatcher?.close()
    },
  }
}

interface Settings {
  origin: string
  basePath: string
  token: string
  connectTimeoutMs: number
  headersTimeoutMs: number
  bodyTimeoutMs: number
  keepAliveTimeoutMs: number
  deadlineMs: number
  maxResponseBytes: number
}

function checkOptions (options: EscClientOptions): Settings {
  const url = httpUrl(options.baseUrl, 'ESC client: baseUrl')
  if (url.search !== '' || url.hash !== '') throw new TypeError('ESC client: baseUrl takes no query or fragment')
  if (typeof options.token !== 'string' || options.token.trim() === '' || /\s/.test(options.token)) {
    throw new TypeError('ESC client: token must be a non-empty string without spaces')
  }
  const duration = (name: keyof EscClientOptions, fallback: number): number => {
    const value = options[name] ?? fallback
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw new TypeError(`ESC client: ${name} must be a positive integer (milliseconds)`)
    return value
  }
  return {
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    token: options.token,
    connectTimeoutMs: duration('connectTimeoutMs', DEFAULT_TIMEOUT_MS),
    headersTimeoutMs: duration('headersTimeoutMs', DEFAULT_TIMEOUT_MS),
    bodyTimeoutMs: duration('bodyTimeoutMs', DEFAULT_TIMEOUT_MS),
    keepAliveTimeoutMs: duration('keepAliveTimeoutMs', 30_000),
    deadlineMs: duration('deadlineMs', DEFAULT_TIMEOUT_MS),
    maxResponseBytes: positiveBytes(options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES),
  }
}

function positiveBytes (value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new TypeError('ESC client: maxResponseBytes must be a positive integer (bytes)')
  return value
}

/** Local validation failed: nothing is sent, and the router would have said 400 anyway. */
function refuse (operation: string, problem: EscProblem | undefined): void {
  if (problem !== undefined) throw escError(operation, { kind: 'local', code: 'ESC_INVALID_DATA', ...problem })
}

function isSuccess (status: number): boolean {
  return status >= 200 && status < 300
}

function answerFailure (answer: Answer): EscFailure {
  if (answer.status >= 300 && answer.status < 400) {
    const location = headerOf(answer, 'location')
    return location === undefined ? { kind: 'redirect', status: answer.status } : { kind: 'redirect', status: answer.status, location }
  }
  const failure: EscFailure = { kind: 'http', status: answer.status }
  const code = routerCode(answer.json)
  const message = (answer.json as { message?: unknown } | undefined)?.message
  const retryAfterMs = parseRetryAfter(headerOf(answer, 'retry-after'))
  if (code !== undefined) failure.code = code
  if (typeof message === 'string') failure.message = message
  if (retryAfterMs !== undefined) failure.retryAfterMs = retryAfterMs
  return failure
}

/** The `code` of an ApiErrorMessage body; a gateway page or an empty body has none. */
function routerCode (json: unknown): string | undefined {
  const code = (json as { code?: unknown } | null | undefined)?.code
  return typeof code === 'string' && code !== '' ? code : undefined
}

const TIMEOUTS: Readonly<Record<string, 'connect' | 'headers' | 'body'>> = {
  UND_ERR_CONNECT_TIMEOUT: 'connect',
  UND_ERR_HEADERS_TIMEOUT: 'headers',
  UND_ERR_BODY_TIMEOUT: 'body',
}

function networkFailure (error: unknown): EscFailure {
  if (error instanceof ResponseTooLargeError) return { kind: 'too-large', status: error.statusCode, limitBytes: error.limitBytes }
  if (error instanceof DeadlineExceededError) return { kind: 'network', code: 'DEADLINE_EXCEEDED', timeout: 'deadline' }
  const code = (error as { code?: unknown } | null)?.code
  const name = typeof code === 'string' ? code : 'NETWORK_ERROR'
  const timeout = TIMEOUTS[name]
  return timeout === undefined ? { kind: 'network', code: name } : { kind: 'network', code: name, timeout }
}

function headerOf (answer: Answer, name: string): string | undefined {
  const value = answer.headers[name]
  return Array.isArray(value) ? value[0] : value
}

function parseJson (text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

function isStatusView (json: unknown): json is EscCardStatusView {
  const status = (json as { status?: unknown } | null | undefined)?.status
  return status === 'ACTIVE' || status === 'INACTIVE' || status === 'EXPIRED'
}
