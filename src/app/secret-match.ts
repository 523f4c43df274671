import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * Whether `given` equals one of `accepted`, in time that does not depend on where they differ.
 * Hashing first gives equal-length buffers, so length is not leaked either.
 */
export function matchesSecret (accepted: readonly string[], given: string | undefined): boolean {
  if (given === undefined || given === '') return false
  const digest = createHash('sha256').update(given).digest()
  let found = false
  for (const secret of accepted) {
    if (timingSafeEqual(createHash('sha256').update(secret).digest(), digest)) found = true
  }
  return found
}
