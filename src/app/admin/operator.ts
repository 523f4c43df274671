import type { AdminToken } from '../../config/admin-tokens.ts'
import { matchingSecret } from '../secret-match.ts'

/**
 * The operator whose token `given` is, or undefined. Every configured token is compared, in time that
 * depends neither on where they differ nor on which one matched (secret-match.ts).
 */
export function operatorOf (tokens: readonly AdminToken[], given: string | undefined): string | undefined {
  return tokens[matchingSecret(tokens.map(({ token }) => token), given)]?.name
}

/** The token of `Authorization: Bearer <token>` (scheme case-insensitive), or undefined. */
export function bearerToken (header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^bearer\s+(\S+)\s*$/i.exec(header.trim())
  return match?.[1]
}
