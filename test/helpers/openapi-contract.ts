import { readFileSync } from 'node:fs'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import type { LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import { parse as parseYaml } from 'yaml'
import { GATEWAY_OPENAPI_URL } from '../../src/intake/card-event-schema.ts'

type JsonObject = Record<string, any>

/** openapi/gateway.yaml as parsed. */
export const gatewayDocument = parseYaml(readFileSync(GATEWAY_OPENAPI_URL, 'utf8')) as JsonObject

const SCHEMAS_ID = 'https://leocarte.example/test/gateway-schemas'

const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true })
addFormatsModule.default(ajv)
ajv.addVocabulary(['example', 'xml', 'externalDocs'])
ajv.addSchema({ $id: SCHEMAS_ID, $defs: absoluteRefs(gatewayDocument.components.schemas) })

/** Component refs of the document, pointed at the `$defs` copy so that a response schema compiles on its own. */
function absoluteRefs<T> (value: T): T {
  if (Array.isArray(value)) return value.map(absoluteRefs) as T
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [key,
    key === '$ref' && typeof child === 'string' ? child.replace('#/components/schemas/', `${SCHEMAS_ID}#/$defs/`) : absoluteRefs(child)])) as T
}

function resolve (node: JsonObject | undefined): JsonObject | undefined {
  if (typeof node?.$ref !== 'string') return node
  return resolve((node.$ref as string).slice(2).split('/').reduce<JsonObject | undefined>((at, key) => at?.[key], gatewayDocument))
}

const validators = new Map<string, ValidateFunction>()

/** The response declared at `paths[path][method].responses[status]`, its schema for `mediaType` compiled. */
function declared (path: string, method: string, status: number, mediaType: string): { validate: ValidateFunction, headers: string[] } {
  const response = resolve(gatewayDocument.paths[path]?.[method]?.responses?.[String(status)])
  const schema = response?.content?.[mediaType]?.schema
  if (schema === undefined) throw new Error(`gateway.yaml declares no ${mediaType} body for ${method.toUpperCase()} ${path} ${status}`)
  const key = `${method} ${path} ${status} ${mediaType}`
  const validate = validators.get(key) ?? ajv.compile(absoluteRefs(schema))
  validators.set(key, validate)
  // A declared header is expected on every such answer, unless the document says `required: false`.
  const headers = Object.entries((response?.headers ?? {}) as JsonObject).filter(([, header]) => resolve(header)?.required !== false).map(([name]) => name)
  return { validate, headers }
}

/** `method path` of every operation the document declares. */
export function documentedOperations (): string[] {
  return Object.entries(gatewayDocument.paths as JsonObject).flatMap(([path, item]) => Object.keys(item as JsonObject).map((method) => `${method} ${path}`))
}

/**
 * Checks an answer of `method path` (as templated in the document) against the status, media type, body
 * schema and headers the document declares for it. Returns the body, parsed when JSON.
 */
export function checkAnswer (t: Test, method: string, path: string, response: LightMyRequestResponse, label: string): any {
  const mediaType = String(response.headers['content-type']).split(';')[0]?.trim() ?? ''
  const body = mediaType.endsWith('json') ? response.json() : response.body
  const { validate, headers } = declared(path, method, response.statusCode, mediaType)
  t.ok(validate(body), `${label} → ${response.statusCode} ${mediaType} matches gateway.yaml`, { errors: validate.errors, body })
  for (const header of headers) t.ok(response.headers[header.toLowerCase()] !== undefined, `${label} → ${response.statusCode} has ${header}`)
  return body
}
