import { readdirSync, readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import { escDocumentValidator } from './esc-contract.ts'

/** What ESUP-SGC's ApiEscService sends on every call (esup-sgc-dropin.md §3). */
export function esupHeaders (key: string | undefined): Record<string, string> {
  return {
    ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
    accept: 'application/json',
    'content-type': 'application/json',
    'user-agent': 'ESUP-SGC/3.5.1 ; Université de Test',
  }
}

/** One call of a flow, as the fixture files write it. */
export interface FlowStep {
  call: 'E1' | 'E2' | 'E3' | 'E4' | 'E5' | 'E6' | 'E7' | 'E8' | 'E9'
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** Below webUrl, with `{esi}`, `{escn}` filled in raw, as ApiEscService concatenates them. */
  path: string
  /** The JSON text ESUP-SGC sends (its key order, its nulls), with placeholders. */
  body?: string
  /** Sent only when an earlier call of the flow answered so: `{"E1": "404"}`, `{"E1": "2xx"}`, `{"E5": "ER-0002"}`. */
  when?: Record<string, string>
  /** The answers after which ESUP-SGC goes on with the flow and commits: `2xx`, a status, or an error code. */
  goesOnWith: string[]
}

export interface EscFlow {
  flow: string
  description: string
  /** Flows run first (with the router up) to bring the card where this one starts. */
  before: string[]
  steps: FlowStep[]
  /** Where the router must end. */
  expect: { card: 'ACTIVE' | 'INACTIVE' | 'absent', person: boolean, operations: string[] }
}

const FLOWS_DIR = new URL('../fixtures/esup-sgc/flows/esc/', import.meta.url)

export function loadEscFlows (): Map<string, EscFlow> {
  const flows = new Map<string, EscFlow>()
  for (const file of readdirSync(FLOWS_DIR).filter((name) => name.endsWith('.json')).sort()) {
    const flow = JSON.parse(readFileSync(new URL(file, FLOWS_DIR), 'utf8')) as EscFlow
    flows.set(flow.flow, flow)
  }
  return flows
}

export interface FlowAnswer {
  call: string
  status: number
  body: unknown
  /** What ESUP-SGC reads of the answer: a status class, the status, or the error code. */
  readAs: string[]
}

export type FlowVariables = Record<'esi' | 'escn' | 'pic' | 'fullName' | 'email' | 'issuedAt' | 'expiresAt', string>

function fill (text: string, variables: FlowVariables): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (variables as Record<string, string>)[name] ?? whole)
}

/**
 * Sends a flow's calls as ESUP-SGC does, through the gateway's HTTP routes (inject), taking its branches
 * on the answers; returns every answer. Throws when an answer would make ESUP-SGC stop or roll back.
 */
export async function replayFlow (app: FastifyInstance, key: string, flow: EscFlow, variables: FlowVariables, base = '/esc-router/api/v2'): Promise<FlowAnswer[]> {
  const answers = new Map<string, FlowAnswer>()
  const sent: FlowAnswer[] = []
  for (const step of flow.steps) {
    if (step.when !== undefined && !Object.entries(step.when).every(([call, answer]) => answers.get(call)?.readAs.includes(answer) === true)) continue
    const response = await app.inject({
      method: step.method,
      url: base + fill(step.path, variables),
      headers: esupHeaders(key),
      ...(step.body === undefined ? {} : { payload: fill(step.body, variables) }),
    })
    const body = response.body === '' ? undefined : JSON.parse(response.body) as unknown
    const status = response.statusCode
    const readAs = [String(status), `${String(status)[0] ?? ''}xx`]
    const code = (body as { code?: unknown } | undefined)?.code
    if (status >= 400 && typeof code === 'string') readAs.push(code)
    const answer = { call: step.call, status, body, readAs }
    answers.set(step.call, answer)
    sent.push(answer)
    if (!step.goesOnWith.some((accepted) => readAs.includes(accepted))) {
      throw new Error(`${flow.flow}: ${step.call} answered ${status} ${response.body}: ESUP-SGC would stop there (goes on with ${step.goesOnWith.join(', ')})`)
    }
    await checkAnswer(step, status, response.headers['content-type'], body)
  }
  return sent
}

const OPERATIONS: Record<FlowStep['call'], string> = {
  E1: 'findByExternalId', E2: 'create', E3: 'update', E4: 'delete', E5: 'create_1', E6: 'update_1', E7: 'delete_1', E8: 'status', E9: 'findAll',
}

/**
 * The answer as ESUP-SGC and the router's document (openapi/esc-router-v2.yaml) want it: a status the
 * operation declares, a body matching its schema, JSON as `application/json`, and an error body that is
 * exactly `{code, message}` (any other member makes ESUP-SGC's reader miss the code).
 */
export async function checkAnswer (step: Pick<FlowStep, 'call'>, status: number, contentType: unknown, body: unknown): Promise<void> {
  const validator = await escDocumentValidator()
  const operationId = OPERATIONS[step.call]
  const operation = validator.getOperation(operationId)
  if (operation === undefined) throw new Error(`the document has no ${operationId}`)
  if (operation.responses?.[String(status)] === undefined) throw new Error(`${step.call}: ${operationId} declares no ${status}`)
  if (body !== undefined && !String(contentType).startsWith('application/json')) throw new Error(`${step.call}: a body as ${String(contentType)}, not application/json`)
  if (status >= 400) {
    const keys = Object.keys(body as object).sort()
    if (keys.join(',') !== 'code,message' || typeof (body as { code: unknown }).code !== 'string' || typeof (body as { message: unknown }).message !== 'string') {
      throw new Error(`${step.call}: the error body is not exactly {code, message}: ${JSON.stringify(body)}`)
    }
  }
  if (body === undefined) return
  const result = validator.validateResponse(body, operation, status)
  if (result.errors !== undefined && result.errors !== null && result.errors.length > 0) {
    throw new Error(`${step.call}: the ${status} body breaks ${operationId}: ${JSON.stringify(result.errors)}`)
  }
}
