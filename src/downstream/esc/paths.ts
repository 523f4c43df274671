import { fileURLToPath } from 'node:url'
import { pathSegment } from '../path-segment.ts'

export { pathSegment }

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
