import { createHash, timingSafeEqual } from 'node:crypto'
import type { AdminToken } from '../../config/admin-tokens.ts'

/**
 * The operator whose token `given` is, or undefined. Every configured token is compared, in time that
 * depends neither on where they differ nor on which one matched; hashing first gives equal-length
 * buffers, so the length is not leaked either (as secret-match.ts does for unnamed secrets).
 */
export function operatorOf (tokens: readonly AdminToken[], given: string | undefined): string | undefined {
  if (given === undefined || given === '') return undefined
  const digest = createHash('sha256').update(given).digest()
  let found: string | undefined
  for (const { name, token } of tokens) {
    if (timingSafeEqual(createHash('sha256').update(token).digest(), digest)) found = name
  }
  return found
}

/** The token of `Authorization: Bearer <token>` (scheme case-insensitive), or undefined. */
export function bearerToken (header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^bearer\s+(\S+)\s*$/i.exec(header.trim())
  return match?.[1]
}
