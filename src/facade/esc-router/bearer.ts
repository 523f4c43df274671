import { matchesSecret } from '../../app/secret-match.ts'

/**
 * The key ESUP-SGC's ApiEscService sends as `Authorization: Bearer <key>` (esup-sgc-dropin.md §3), or
 * undefined when there is none to check: no header, another scheme, an empty key, or the literal `null`
 * a Java client writes for an unset property.
 */
export function bearerKey (header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined
  const match = /^Bearer[ \t]+(.*)$/i.exec(header.trim())
  const key = match?.[1]?.trim()
  if (key === undefined || key === '' || key === 'null' || key === 'undefined') return undefined
  return key
}

/** Whether the request carries one of SGC_ESC_KEYS, compared in constant time. */
export function isAcceptedKey (keys: readonly string[], header: string | string[] | undefined): boolean {
  return matchesSecret(keys, bearerKey(header))
}
