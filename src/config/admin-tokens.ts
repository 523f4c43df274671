/** One admin token and the operator it stands for (the name goes in the timeline and the audit log). */
export interface AdminToken {
  name: string
  token: string
}

/** A handle, not a person's full name: it is written in every card's timeline the operator touches. */
const OPERATOR_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const MIN_TOKEN_LENGTH = 16

/**
 * `ADMIN_TOKENS`: comma-separated `name:token` pairs, several at once so that a token can be rotated
 * (the new one added, then the old one removed). A bare token (the format before names, no colon) is
 * still accepted and named `admin-<n>`, its position in the list. Throws a message naming the problem
 * (the caller wraps it in a ConfigError); never echoes a token.
 */
export function parseAdminTokens (entries: readonly string[]): AdminToken[] {
  const tokens = entries.map((entry, index): AdminToken => {
    const colon = entry.indexOf(':')
    const name = colon === -1 ? `admin-${index + 1}` : entry.slice(0, colon).trim()
    const token = colon === -1 ? entry : entry.slice(colon + 1).trim()
    if (!OPERATOR_NAME.test(name)) throw new Error(`entry ${index + 1}: the operator name must be 1-64 letters, digits, ".", "_" or "-" (name:token pairs separated by commas)`)
    if (token.length < MIN_TOKEN_LENGTH) throw new Error(`entry ${index + 1} (${name}): the token must be at least ${MIN_TOKEN_LENGTH} characters`)
    return { name, token }
  })
  const names = tokens.map(({ name }) => name)
  const repeatedName = names.find((name, index) => names.indexOf(name) !== index)
  // Two operators behind one name could not be told apart in the timeline (one operator with two tokens
  // during a rotation takes two names, e.g. alice and alice-2).
  if (repeatedName !== undefined) throw new Error(`operator "${repeatedName}" is listed twice`)
  const secrets = tokens.map(({ token }) => token)
  const repeatedToken = secrets.findIndex((token, index) => secrets.indexOf(token) !== index)
  if (repeatedToken !== -1) throw new Error(`entry ${repeatedToken + 1} (${names[repeatedToken] ?? ''}): the same token is given to two operators`)
  return tokens
}
