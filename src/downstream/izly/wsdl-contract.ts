import { fileURLToPath } from 'node:url'

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
] as const
export type IzlyOperation = (typeof IZLY_OPERATIONS)[number]

export function isIzlyOperation (value: unknown): value is IzlyOperation {
  return typeof value === 'string' && (IZLY_OPERATIONS as readonly string[]).includes(value)
}

/**
 * node-soap turns xs:dateTime and xs:date into Date objects, which loses the sender's offset and
 * makes an xs:date a UTC midnight; both sides keep the lexical form instead.
 */
export const KEEP_DATES_AS_TEXT = {
  dateTime: (text: string) => text,
  date: (text: string) => text,
}
