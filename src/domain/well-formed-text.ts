/**
 * Strings that are not well-formed Unicode (a lone surrogate such as `\ud800`, which JSON escapes let
 * anyone send) become U+FFFD when written to Redis or sent on as UTF-8: two different identifiers then
 * name one key, and one card's event lands on another card. Every inbound adapter refuses them where an
 * identifier enters (intake, validity, admin, façades), with this one check. Pure: no I/O.
 */

/** One refused field, shaped as the adapters' FieldError (`card.id`, `events[3].eventId`). */
export interface IllFormedField {
  field: string
  message: string
}

export const ILL_FORMED_MESSAGE = 'is not well-formed Unicode (it holds a lone surrogate, e.g. \\ud800)'

export function isWellFormedText (value: string): boolean {
  return value.isWellFormed()
}

/**
 * Every string (and object key) under `value` that is not well-formed, by its path; empty when all are.
 * `path` prefixes the paths (`events[3]`); the root itself is `(root)`.
 */
export function illFormedFields (value: unknown, path = ''): IllFormedField[] {
  const found: IllFormedField[] = []
  walk(value, path, found)
  return found
}

function walk (value: unknown, path: string, found: IllFormedField[]): void {
  if (typeof value === 'string') {
    if (!value.isWellFormed()) found.push({ field: path === '' ? '(root)' : path, message: ILL_FORMED_MESSAGE })
    return
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => walk(item, `${path}[${index}]`, found))
    return
  }
  if (value === null || typeof value !== 'object') return
  for (const [key, child] of Object.entries(value)) {
    // A bad key is named by its well-formed replacement: the answer must not echo the lone surrogate.
    const name = key.isWellFormed() ? key : key.toWellFormed()
    const childPath = path === '' ? name : `${path}.${name}`
    if (!key.isWellFormed()) found.push({ field: childPath, message: `${ILL_FORMED_MESSAGE} in its name` })
    walk(child, childPath, found)
  }
}
