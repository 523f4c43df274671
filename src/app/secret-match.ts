import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * Whether `given` equals one of `accepted`, in time that does not depend on where they differ.
 * Hashing first gives equal-length buffers, so length is not leaked either.
 */
export function matchesSecret (accepted: readonly string[], given: string | undefined): boolean {
  return matchingSecret(accepted, given) >= 0
}

/**
 * Which of `accepted` `given` equals (-1: none), comparing every one of them whichever matches, so that the
 * time says nothing about which did.
 */
export function matchingSecret (accepted: readonly string[], given: string | undefined): number {
  if (given === undefined || given === '') return -1
  const digest = createHash('sha256').update(given).digest()
  let found = -1
  accepted.forEach((secret, index) => {
    if (timingSafeEqual(createHash('sha256').update(secret).digest(), digest)) found = index
  })
  return found
}
