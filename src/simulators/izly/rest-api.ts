import { readFile } from 'node:fs/promises'
import { type Document, OpenAPIBackend, type Operation, type ParsedRequest } from 'openapi-backend'
import { parse as parseYaml } from 'yaml'
import type { IzlyOppositionReason, IzlyRightHolder } from '../../domain/izly-plan.ts'
import { readRightHolderAnswer, readSmartCardAnswer, rightHolderBody, smartCardBody } from '../../downstream/izly/rest-mapping.ts'
import { API_CROUS_OPENAPI_PATH } from '../../downstream/izly/rest-paths.ts'
import { headerOf } from '../server.ts'
import type { CallSummary, IzlySimulatorControls, RecordedCall } from './controls.ts'
import { type ScriptedAnswer, takeScriptedAnswer, TOKEN_OPERATION } from './fault-script.ts'
import { IzlyFaultAnswer, type SimulatedCard, type SimulatedFault, type SimulatedHolder } from './state.ts'

/** One HTTP request to the REST face, its path from the root (`/beforeizly/v1/…`, `/api/oauth/token?…`). */
export interface RestRequest {
  method: string
  path: string
  headers: Record<string, string | string[] | undefined>
  /** The raw body; openapi-backend parses the JSON. */
  body: string | undefined
}

export interface RestResponse {
  status: number
  /** The state's result (`OPPOSED`, `UNCLOSED`…), for the call log; never sent as such on a 204. */
  result?: string
  /** Sent as JSON; a string is sent as text (a bare scripted status); undefined: no body. */
  body?: unknown
  headers?: Record<string, string>
}

type Json = Record<string, unknown>
/** What a handler does, and the WSDL operation it is (a card PATCH is an opposition or a revalidation). */
type Handler = (request: ParsedRequest) => { operation: string, run: () => RestResponse }

/** openapi/api-crous-v1.yaml in a request validator (openapi-backend), not hand-written checks. */
export async function loadApiCrousDocument (): Promise<OpenAPIBackend> {
  const definition = parseYaml(await readFile(API_CROUS_OPENAPI_PATH, 'utf8')) as Document
  return await new OpenAPIBackend({ definition, strict: true }).init()
}

/**
 * The API CROUS as the simulator serves it, over the same state as the SOAP face: every request is
 * matched and validated against openapi/api-crous-v1.yaml, then answered by the state with the API's
 * statuses and `{"errors":[…]}` bodies. The token endpoint issues expiring client-credentials tokens; an
 * API call without a valid one is a 401 before anything else; a request the document refuses is a 400.
 */
export async function createRestApi (controls: IzlySimulatorControls): Promise<(request: RestRequest) => RestResponse> {
  const api = await loadApiCrousDocument()
  const { state, tokens } = controls

  const handlers: Record<string, Handler> = {
    Token: () => ({ operation: TOKEN_OPERATION, run: () => ({ status: 200, body: tokens.issue() }) }),
    TokenPreProduction: () => ({ operation: TOKEN_OPERATION, run: () => ({ status: 200, body: tokens.issue() }) }),
    GetRightHolder: (request) => ({ operation: 'GetRightHolder', run: () => ok(200, rightHolderJson(state.getRightHolder(param(request, 'identifier')))) }),
    CreateRightHolder: (request) => ({
      operation: 'UpsertRightHolder',
      run: () => result(201, state.createRightHolder(rightHolderOf(request.requestBody))),
    }),
    UpdateRightHolder: (request) => ({
      operation: 'UpsertRightHolder',
      run: () => result(200, state.updateRightHolder(param(request, 'identifier'), { ...rightHolderOf(request.requestBody), identifier: param(request, 'identifier') }, 'replace')),
    }),
    PatchIdentifier: (request) => ({
      operation: 'PatchIdentifier',
      run: () => result(200, state.patchIdentifier(param(request, 'identifier'), String((request.requestBody as Json).newIdentifier))),
    }),
    UncloseRightHolder: (request) => ({ operation: 'UncloseRightHolder', run: () => result(204, state.uncloseRightHolder(param(request, 'identifier'))) }),
    RegisterSmartCard: (request) => ({
      operation: 'RegisterSmartCard',
      run: () => {
        const card = readSmartCardAnswer(request.requestBody, '')?.smartCard
        if (card === undefined) return errors(400, '400', 'not a smart card', null)
        return result(201, state.registerSmartCard(param(request, 'identifier'), card))
      },
    }),
    GetSmartCard: (request) => ({ operation: 'GetSmartCard', run: () => ok(200, smartCardJson(state.getSmartCard(param(request, 'identifier'), param(request, 'idZdc')))) }),
    PatchSmartCard: (request) => {
      const body = (isObject(request.requestBody) ? request.requestBody : {}) as Json
      const identifier = param(request, 'identifier')
      const idZdc = param(request, 'idZdc')
      if (typeof body.cancelDate === 'string' && body.cancelDate !== '') {
        return { operation: 'OpposeSmartCard', run: () => result(200, state.opposeSmartCard(identifier, idZdc, body.reason as IzlyOppositionReason, body.cancelDate as string)) }
      }
      if (typeof body.revalidationDate === 'string' && body.revalidationDate !== '') {
        return { operation: 'RevalidateSmartCard', run: () => result(200, state.revalidateSmartCard(identifier, idZdc, body.revalidationDate as string)) }
      }
      // Neither: the document refuses it before it runs.
      return { operation: 'PatchSmartCard', run: () => errors(400, '400', 'neither an opposition nor a revalidation', null) }
    },
  }

  return (request) => {
    const input = { method: request.method, path: request.path, headers: lowerCaseHeaders(request.headers), ...(request.body === undefined || request.body === '' ? {} : { body: request.body }) }
    const operation = api.router.matchOperation(input)
    const call: RecordedCall = { operation: 'unknown', transport: 'rest', method: request.method, at: Date.now(), correlationId: headerOf(request, 'x-correlation-id'), httpStatus: 0, valid: false }
    const answer = answerFor(operation, input, call)
    call.httpStatus = answer.status
    controls.calls.push(call)
    return answer
  }

  function answerFor (operation: Operation | undefined, input: { method: string, path: string, headers: Record<string, string>, body?: string }, call: RecordedCall): RestResponse {
    if (operation === undefined) {
      // What a gateway in front of the API answers for a path it does not route (Gravitee's own JSON).
      call.code = 'no-route'
      return { status: 404, body: { message: 'No context-path matches the request URI.', http_status_code: 404 } }
    }
    const operationId = operation.operationId ?? 'unknown'
    call.restOperation = operationId
    const parsed = api.router.parseRequest(input, operation)
    const handler = handlers[operationId]
    const step = handler?.(parsed)
    call.operation = step?.operation ?? operationId
    Object.assign(call, summarise(parsed))
    const isToken = call.operation === TOKEN_OPERATION
    if (isToken ? !tokens.acceptsClient(input.headers.authorization) : !tokens.acceptsBearer(input.headers.authorization)) {
      call.code = 'HTTP_401'
      return isToken
        ? { status: 401, body: { error: 'invalid_client', error_description: 'Bad client credentials' } }
        : { status: 401, body: { message: 'Unauthorized', http_status_code: 401 } }
    }
    const validation = api.validateRequest(input, operation)
    if (!validation.valid) {
      call.code = 'SIM-BAD-REQUEST'
      const problems = (validation.errors ?? []).map((problem) => `${problem.instancePath} ${problem.message ?? ''}`).join('; ')
      return isToken ? { status: 400, body: { error: 'invalid_request', error_description: problems } } : errors(400, '400', problems, null)
    }
    call.valid = true
    const scripted = takeScriptedAnswer(controls.faults, call.operation, { ...(call.identifier === undefined ? {} : { identifier: call.identifier }), ...(call.idZdc === undefined ? {} : { idZdc: call.idZdc }) }, operationId)
    if (scripted !== undefined) return scriptedResponse(scripted, call)
    if (step === undefined) return errors(500, '500', 'Not simulated', null)
    try {
      const answer = step.run()
      if (answer.result !== undefined) call.result = answer.result
      return answer
    } catch (thrown) {
      if (!(thrown instanceof IzlyFaultAnswer)) throw thrown
      call.code = thrown.fault.code
      return faultResponse(thrown.fault)
    }
  }
}

/** What the API answers for a refusal: its status and `{"errors":[{code, message, field}]}`; no code where the API gives none. */
function faultResponse (fault: SimulatedFault): RestResponse {
  return errors(fault.httpStatus, fault.code.startsWith('HTTP_') ? null : fault.code, fault.message, fault.field ?? null)
}

function scriptedResponse (answer: ScriptedAnswer, call: RecordedCall): RestResponse {
  if (answer.kind === 'http') {
    call.code = `HTTP_${answer.status}`
    return {
      status: answer.status,
      ...(answer.retryAfterSeconds === undefined ? {} : { headers: { 'retry-after': String(answer.retryAfterSeconds) } }),
      body: `Izly simulator: scripted HTTP ${answer.status}`,
    }
  }
  call.code = answer.fault.code
  return faultResponse(answer.fault)
}

function errors (status: number, code: string | null, message: string, field: string | null): RestResponse {
  return { status, body: { errors: [{ code, message, field }] } }
}

function ok (status: number, body: unknown): RestResponse {
  return { status, body }
}

/** A write's answer: the simulator's own `result` (the API's real write bodies are not known; clients ignore them). */
function result (status: number, outcome: string): RestResponse {
  return status === 204 ? { status, result: outcome } : { status, result: outcome, body: { result: outcome } }
}

function rightHolderJson (holder: SimulatedHolder): Json {
  return { ...rightHolderBody(holder.rightHolder), accountStatus: holder.accountStatus, blockingStatus: holder.blockingStatus }
}

function smartCardJson (card: SimulatedCard): Json {
  return { ...smartCardBody(card.smartCard), reason: card.reason ?? null, cancelDate: card.cancelDate ?? null, revalidationDate: card.revalidationDate ?? null }
}

function rightHolderOf (body: unknown): IzlyRightHolder {
  const read = readRightHolderAnswer(body)
  if (read === undefined) throw new IzlyFaultAnswer({ httpStatus: 400, code: '400', message: 'not a right holder', retryable: false })
  return read.rightHolder
}

/** Only keys and the reason: no names, e-mails, birth dates or INE fields reach the call log. */
function summarise (request: ParsedRequest): CallSummary {
  const body = (request.requestBody !== null && typeof request.requestBody === 'object' ? request.requestBody : {}) as Json
  const summary: CallSummary = {}
  const identifier = request.params.identifier === undefined ? body.identifier : param(request, 'identifier')
  const idZdc = request.params.idZdc === undefined ? body.idZdc : param(request, 'idZdc')
  const uid = request.headers.uid ?? body.uid
  if (typeof identifier === 'string') summary.identifier = identifier
  if (typeof idZdc === 'string' || typeof idZdc === 'number') summary.idZdc = String(idZdc)
  if (typeof uid === 'string') summary.uid = uid
  if (typeof body.reason === 'string' && body.reason !== '') summary.reason = body.reason
  return summary
}

function isObject (value: unknown): boolean {
  return value !== null && typeof value === 'object'
}

function param (request: ParsedRequest, name: string): string {
  const value = request.params[name]
  const raw = Array.isArray(value) ? String(value[0]) : String(value)
  try {
    return decodeURIComponent(raw)
  } catch {
    // A malformed escape: the key as sent (no such holder, a 404), not a crash.
    return raw
  }
}

function lowerCaseHeaders (headers: RestRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}
