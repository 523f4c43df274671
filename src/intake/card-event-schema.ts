import { readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { parse as parseYaml } from 'yaml'
import type { FieldError } from './problem.ts'

/** The gateway's own OpenAPI document: the single source of the card event schema. */
export const GATEWAY_OPENAPI_URL = new URL('../../openapi/gateway.yaml', import.meta.url)

export interface CardEventValidators {
  /** Every schema violation of one card event (SPEC §3); empty when the event is valid. */
  validateCardEvent (value: unknown): FieldError[]
  /** Violations of the batch envelope only (`{ events: [...] }`, 1–1000 items); the events are checked one by one. */
  validateBatchEnvelope (value: unknown): FieldError[]
}

/**
 * Compiles the validators from `components/schemas` of the OpenAPI document, read once: the routes
 * then accept exactly what the published contract says.
 */
export function loadCardEventValidators (documentUrl: URL = GATEWAY_OPENAPI_URL): CardEventValidators {
  const document = parseYaml(readFileSync(documentUrl, 'utf8')) as OpenApiDocument
  const schemas = document.components?.schemas
  if (schemas?.CardEvent === undefined || schemas.CardEventBatch === undefined) {
    throw new Error(`${documentUrl.pathname} has no components/schemas CardEvent and CardEventBatch`)
  }

  const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true })
  addFormatsModule.default(ajv)
  // OpenAPI annotations that are not JSON Schema keywords.
  ajv.addVocabulary(['example', 'xml', 'externalDocs'])
  ajv.addSchema({ $id: SCHEMAS_ID, $defs: rewriteRefs(schemas) })

  const cardEvent = getValidator(ajv, 'CardEvent')
  const envelope = ajv.compile(envelopeSchemaOf(schemas.CardEventBatch))
  return {
    validateCardEvent: (value) => cardEvent(value) ? [] : describeErrors(cardEvent.errors),
    validateBatchEnvelope: (value) => envelope(value) ? [] : describeErrors(envelope.errors),
  }
}

interface OpenApiDocument {
  components?: { schemas?: Record<string, JsonObject> }
}

type JsonObject = Record<string, unknown>

const SCHEMAS_ID = 'https://leocarte.example/schemas/gateway'
const OPENAPI_SCHEMA_REF = '#/components/schemas/'

function getValidator (ajv: Ajv2020, name: string): ValidateFunction {
  const validate = ajv.getSchema(`${SCHEMAS_ID}#/$defs/${name}`)
  if (validate === undefined) throw new Error(`schema ${name} could not be compiled`)
  return validate
}

/** OpenAPI refs point into `components/schemas`; under one schema resource they live in `$defs`. */
function rewriteRefs<T> (value: T): T {
  if (Array.isArray(value)) return value.map(rewriteRefs) as T
  if (value === null || typeof value !== 'object') return value
  const copy: JsonObject = {}
  for (const [key, child] of Object.entries(value)) {
    copy[key] = key === '$ref' && typeof child === 'string' && child.startsWith(OPENAPI_SCHEMA_REF)
      ? '#/$defs/' + child.slice(OPENAPI_SCHEMA_REF.length)
      : rewriteRefs(child)
  }
  return copy as T
}

/** The batch schema without its item schema, so that one bad event does not reject the whole batch. */
function envelopeSchemaOf (batchSchema: JsonObject): JsonObject {
  const envelope = structuredClone(batchSchema)
  const events = (envelope.properties as Record<string, JsonObject> | undefined)?.events
  if (events === undefined) throw new Error('components/schemas/CardEventBatch has no events property')
  delete events.items
  return envelope
}

function describeErrors (errors: ErrorObject[] | null | undefined): FieldError[] {
  const described = new Map<string, FieldError>()
  for (const error of errors ?? []) {
    const fieldError = describeError(error)
    described.set(`${fieldError.field}\n${fieldError.message}`, fieldError)
  }
  return [...described.values()]
}

function describeError (error: ErrorObject): FieldError {
  const path = pointerToPath(error.instancePath)
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'required':
      return { field: joinPath(path, String(params.missingProperty)), message: 'is required' }
    case 'additionalProperties':
      return { field: joinPath(path, String(params.additionalProperty)), message: 'is not allowed' }
    case 'enum':
      return { field: fieldName(path), message: `must be one of ${(params.allowedValues as unknown[]).join(', ')}` }
    default:
      return { field: fieldName(path), message: error.message ?? 'is invalid' }
  }
}

/** `/card/csn` → `card.csn`, `/events/3` → `events[3]` (RFC 6901 pointer to a readable path). */
function pointerToPath (pointer: string): string {
  if (pointer === '') return ''
  let path = ''
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    path = /^(?:0|[1-9][0-9]*)$/.test(segment) ? `${path}[${segment}]` : joinPath(path, segment)
  }
  return path
}

function joinPath (path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`
}

function fieldName (path: string): string {
  return path === '' ? '(root)' : path
}
