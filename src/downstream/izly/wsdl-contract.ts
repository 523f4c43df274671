import { fileURLToPath } from 'node:url'
import { textOf } from './soap-mapping.ts'

/** wsdl/izly-card-service.wsdl on disk: the client and the simulator read this one file. */
export const IZLY_WSDL_PATH = fileURLToPath(new URL('../../../wsdl/izly-card-service.wsdl', import.meta.url))

export const IZLY_NAMESPACE = 'urn:leocarte:izly-card-service:v1'

export const IZLY_OPERATIONS = [
  'GetRightHolder',
  'UpsertRightHolder',
  'RegisterSmartCard',
  'GetSmartCard',
  'OpposeSmartCard',
  'RevalidateSmartCard',
  'PatchIdentifier',
  'UncloseRightHolder',
] as const
export type IzlyOperation = (typeof IZLY_OPERATIONS)[number]

export function isIzlyOperation (value: unknown): value is IzlyOperation {
  return typeof value === 'string' && (IZLY_OPERATIONS as readonly string[]).includes(value)
}

/**
 * What a response of each operation must carry (required by the WSDL): a `result` of its
 * xs:enumeration, or the resource read.
 */
const ANSWERS: Record<IzlyOperation, { results: readonly string[] } | { resource: string }> = {
  GetRightHolder: { resource: 'rightHolder' },
  UpsertRightHolder: { results: ['CREATED', 'UPDATED'] },
  RegisterSmartCard: { results: ['REGISTERED', 'ALREADY_REGISTERED'] },
  GetSmartCard: { resource: 'smartCard' },
  OpposeSmartCard: { results: ['OPPOSED', 'ALREADY_OPPOSED'] },
  RevalidateSmartCard: { results: ['REVALIDATED', 'NOT_OPPOSED'] },
  PatchIdentifier: { results: ['PATCHED'] },
  UncloseRightHolder: { results: ['UNCLOSED', 'NOT_CLOSED'] },
}

/**
 * Whether a parsed response body is the answer the WSDL gives `operation`. An empty Body, or a 200
 * from something else, is not: taken for a success, it would report an opposition Izly never made.
 */
export function isAnswerOf (operation: IzlyOperation, body: unknown): body is Record<string, unknown> {
  if (body === null || typeof body !== 'object') return false
  const fields = body as Record<string, unknown>
  const answer = ANSWERS[operation]
  if ('results' in answer) return answer.results.includes(textOf(fields.result) ?? '')
  const resource = fields[answer.resource]
  return resource !== null && typeof resource === 'object'
}

/**
 * node-soap turns xs:dateTime and xs:date into Date objects, which loses the sender's offset and
 * makes an xs:date a UTC midnight; both sides keep the lexical form instead.
 */
export const KEEP_DATES_AS_TEXT = {
  dateTime: (text: string) => text,
  date: (text: string) => text,
}
