import { fileURLToPath } from 'node:url'
import { pathSegment } from '../path-segment.ts'

/** Our description of the API CROUS subset the REST client calls and the simulator serves. */
export const API_CROUS_OPENAPI_PATH = fileURLToPath(new URL('../../../openapi/api-crous-v1.yaml', import.meta.url))

/** Where the resources hang below the API base (IZLY_API_URL), as ESUP-SGC appends them since 1.8.5. */
export const API_CROUS_PREFIX = '/beforeizly/v1'

/** Request paths below the API base, as in openapi/api-crous-v1.yaml. */
export const API_CROUS_PATHS = {
  rightHolders: (): string => `${API_CROUS_PREFIX}/rightholders`,
  rightHolder: (identifier: string): string => `${API_CROUS_PREFIX}/rightholders/${pathSegment(identifier)}`,
  smartCards: (identifier: string): string => `${API_CROUS_PREFIX}/rightholders/${pathSegment(identifier)}/smartcard`,
  smartCard: (identifier: string, idZdc: string): string => `${API_CROUS_PREFIX}/rightholders/${pathSegment(identifier)}/smartcard/${pathSegment(idZdc)}`,
  closedRightHolder: (identifier: string): string => `${API_CROUS_PREFIX}/closed-rightholders/${pathSegment(identifier)}`,
}

export const TOKEN_PATH = '/api/oauth/token'
export const PRE_PRODUCTION_TOKEN_PATH = '/api-pp/oauth/token'

/**
 * The token path below the access server's base, by ESUP-SGC's rule: an API base containing `-pp`
 * (https://api-pp.nuonet.fr) is pre-production, whose tokens come from the Gravitee "api-pp" domain.
 */
export function tokenPathFor (apiUrl: string): string {
  return apiUrl.includes('-pp') ? PRE_PRODUCTION_TOKEN_PATH : TOKEN_PATH
}

/** The access server CNOUS runs for both environments (SPEC §9 default of IZLY_ACCESS_URL). */
export const DEFAULT_ACCESS_URL = 'https://acces.lescrous.fr'
