import { readFile } from 'node:fs/promises'
import addFormatsModule from 'ajv-formats'
import { type Document, OpenAPIBackend, type Operation, type ParsedRequest } from 'openapi-backend'
import { parse as parseYaml } from 'yaml'
import { matchesSecret } from '../../app/secret-match.ts'
import { ESC_OPENAPI_PATH } from '../../downstream/esc/paths.ts'
import { headerOf } from '../server.ts'
import { type EscRecordedCall, type EscSimulatorControls, simulatedPersonRef } from './controls.ts'
import { takeScriptedFault } from './fault-script.ts'
import { type Caller, EscRouterAnswer } from './state.ts'

/** One HTTP request, its path relative to the REST base (`/api/v2/…?…`). */
export interface RouterRequest {
  method: string
  path: string
  headers: Record<string, string | string[] | undefined>
  /** The raw body; openapi-backend parses the JSON. */
  body: string | undefined
}

export interface RouterResponse {
  status: number
  /** Sent as JSON; a string is sent as text (a bare scripted status). */
  body?: unknown
  headers?: Record<string, string>
}

type Json = Record<string, unknown>
type Handler = (caller: Caller, request: ParsedRequest) => RouterResponse

/** The document's validator: an OpenAPI request validator, not hand-written checks. */
export async function loadEscRouterDocument (): Promise<OpenAPIBackend> {
  const definition = parseYaml(await readFile(ESC_OPENAPI_PATH, 'utf8')) as Document
  const api = new OpenAPIBackend({
    definition,
    strict: true,
    // `format: date` (issuedAt, expiresAt) needs ajv-formats; openapi-backend adds only numeric formats.
    customizeAjv: (ajv) => { addFormatsModule.default(ajv, ['date']); return ajv },
  })
  return await api.init()
}

/**
 * The router's REST API as the simulator serves it: every request is matched and validated against
 * openapi/esc-router-v2.yaml, then answered by the simulated state. A bad or missing token is a 401
 * before anything else; a request the document refuses is a 400 `{code, message}`.
 */
export async function createRouterApi (controls: EscSimulatorControls, options: { token: string, pic: string | undefined }): Promise<(request: RouterRequest) => RouterResponse> {
  const api = await loadEscRouterDocument()
  const { state } = controls
  const caller: Caller = options.pic
  const query = (request: ParsedRequest, name: string): string | undefined => {
    const value = request.query[name]
    return Array.isArray(value) ? value[0] : value
  }
  const page = (request: ParsedRequest): [number, number] => [Number(query(request, 'page') ?? 0), Number(query(request, 'size') ?? 10)]
  const handlers: Record<string, Handler> = {
    findAll: (who, request) => ok(200, state.listPersons(who, ...page(request))),
    create: (who, request) => ok(201, state.createPerson(who, request.requestBody as Json)),
    findByExternalId: (who, request) => ok(200, state.getPerson(who, param(request, 'esi'))),
    update: (who, request) => ok(200, state.updatePerson(who, param(request, 'esi'), request.requestBody as Json)),
    delete: (who, request) => { state.deletePerson(who, param(request, 'esi')); return { status: 204 } },
    findAll_1: (who, request) => ok(200, state.listCards(who, ...page(request))),
    create_1: (who, request) => ok(201, state.createCard(who, request.requestBody as Json)),
    findByExternalId_1: (who, request) => ok(200, state.getCard(who, param(request, 'escn'))),
    update_1: (who, request) => ok(200, state.updateCard(who, param(request, 'escn'), request.requestBody as Json)),
    delete_1: (who, request) => { state.deleteCard(who, param(request, 'escn')); return { status: 204 } },
    status: (_who, request) => ok(200, state.status(param(request, 'escn'))),
    getEscnList: (_who, request) => ok(200, state.generateEscns(Number(query(request, 'prefix')), query(request, 'pic') ?? '', Number(query(request, 'numberOfESCN') ?? 1))),
  }

  return (request) => {
    const input = { method: request.method, path: request.path, headers: lowerCaseHeaders(request.headers), ...(request.body === undefined || request.body === '' ? {} : { body: request.body }) }
    const operation = api.router.matchOperation(input)
    const call: EscRecordedCall = { operation: operation?.operationId ?? 'unknown', method: request.method, at: Date.now(), correlationId: headerOf(request, 'x-correlation-id'), httpStatus: 0, valid: false }
    const answer = answerFor(operation, input, call)
    call.httpStatus = answer.status
    if (answer.status >= 400 && isJson(answer.body) && typeof answer.body.code === 'string') call.code = answer.body.code
    controls.calls.push(call)
    return answer
  }

  function answerFor (operation: Operation | undefined, input: { method: string, path: string, headers: Record<string, string>, body?: string }, call: EscRecordedCall): RouterResponse {
    if (operation === undefined) return error(404, 'SIM-NOT-FOUND', 'No such resource')
    const parsed = api.router.parseRequest(input, operation)
    describe(call, parsed)
    // Only operations that opt out of the document's security (the public status) go without a token.
    const isPublic = Array.isArray(operation.security) && operation.security.length === 0
    if (!isPublic && !matchesSecret([`Bearer ${options.token}`], input.headers.authorization)) return error(401, 'SE-0000', 'Access denied')
    const validation = api.validateRequest(input, operation)
    if (!validation.valid) return error(400, 'SIM-BAD-REQUEST', (validation.errors ?? []).map((problem) => `${problem.instancePath} ${problem.message ?? ''}`).join('; '))
    call.valid = true
    const scripted = takeScriptedFault(controls.faults, operation.operationId ?? '', { ...(call.escn === undefined ? {} : { escn: call.escn }), ...aboutEsi(parsed) })
    if (scripted !== undefined) return scriptedAnswer(scripted)
    const handler = handlers[operation.operationId ?? '']
    if (handler === undefined) return error(500, 'SIM-INTERNAL', 'Not simulated')
    try {
      return handler(caller, parsed)
    } catch (thrown) {
      if (thrown instanceof EscRouterAnswer) return error(thrown.status, thrown.code, thrown.message)
      throw thrown
    }
  }
}

function scriptedAnswer (fault: { httpStatus: number, code?: string, message?: string, retryAfterSeconds?: number }): RouterResponse {
  const headers: Record<string, string> = {}
  if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds)
  if (fault.httpStatus < 400) headers.location = 'https://elsewhere.example/esc-rest'
  if (fault.code === undefined) return { status: fault.httpStatus, headers, body: `ESC Router simulator: scripted HTTP ${fault.httpStatus}` }
  return { status: fault.httpStatus, headers, body: { code: fault.code, message: fault.message ?? `Scripted ${fault.code}` } }
}

/** What the call was about, for the call log and fault matching: the card number, a hash of the ESI. */
function describe (call: EscRecordedCall, request: ParsedRequest): void {
  const body = isJson(request.requestBody) ? request.requestBody : {}
  const escn = request.params.escn ?? (typeof body.cardNumber === 'string' ? body.cardNumber : undefined)
  const esi = aboutEsi(request).esi
  if (typeof escn === 'string') call.escn = escn
  if (esi !== undefined) call.person = simulatedPersonRef(esi)
  if (typeof body.cardStatusType === 'string') call.cardStatusType = body.cardStatusType
}

function aboutEsi (request: ParsedRequest): { esi?: string } {
  const body = isJson(request.requestBody) ? request.requestBody : {}
  const esi = request.params.esi ?? body.identifier ?? body.personIdentifier
  return typeof esi === 'string' ? { esi } : {}
}

function param (request: ParsedRequest, name: string): string {
  const value = request.params[name]
  return Array.isArray(value) ? String(value[0]) : String(value)
}

function ok (status: number, body: unknown): RouterResponse {
  return { status, body }
}

function error (status: number, code: string, message: string): RouterResponse {
  return { status, body: { code, message } }
}

function isJson (value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function lowerCaseHeaders (headers: RouterRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}
