import { fileURLToPath } from 'node:url'

/** Our description of the router API the client calls and the simulator serves. */
export const ESC_OPENAPI_PATH = fileURLToPath(new URL('../../../openapi/esc-router-v2.yaml', import.meta.url))

/** Request paths below the REST base (`…/esc-rest`), as in openapi/esc-router-v2.yaml. */
export const ESC_PATHS = {
  persons: (): string => '/api/v2/persons',
  person: (esi: string): string => `/api/v2/persons/${pathSegment(esi)}`,
  cards: (): string => '/api/v2/cards',
  card: (escn: string): string => `/api/v2/cards/${pathSegment(escn)}`,
  cardStatus: (escn: string): string => `/api/v2/cards/${pathSegment(escn)}/status`,
}

/**
 * A value as one path segment. An ESI's `:`, `@`, `+`, `,`, `;`, `=` and `$` are allowed in a segment
 * (RFC 3986 pchar) and stay raw, as the router's other clients send them; anything else is escaped.
 */
export function pathSegment (value: string): string {
  return encodeURIComponent(value).replace(/%(3A|40|2B|2C|3B|3D|24)/gi, (escaped) => decodeURIComponent(escaped))
}
