/**
 * A value as one URL path segment. `:`, `@`, `+`, `,`, `;`, `=` and `$` are allowed in a segment
 * (RFC 3986 pchar) and stay raw, as the peers' other clients send them (an ESI's colons, an eppn's
 * `@`); anything else is escaped.
 */
export function pathSegment (value: string): string {
  return encodeURIComponent(value).replace(/%(3A|40|2B|2C|3B|3D|24)/gi, (escaped) => decodeURIComponent(escaped))
}
