/**
 * A bounded cache whose entries expire. A Map keeps insertion order, so the oldest entry is the first
 * key: when full, that one goes. Writing a key again moves it to the back. Good enough for short-lived
 * answers where an LRU would buy little.
 */
export class TtlCache<V> {
  readonly #entries = new Map<string, { value: V, expiresAtMs: number }>()
  readonly #maxEntries: number
  readonly #now: () => number

  constructor (maxEntries: number, now: () => number = Date.now) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('TtlCache: maxEntries must be a whole number of at least 1')
    this.#maxEntries = maxEntries
    this.#now = now
  }

  get (key: string): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAtMs <= this.#now()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.value
  }

  /** A `ttlMs` of 0 or less stores nothing. */
  set (key: string, value: V, ttlMs: number): void {
    this.#entries.delete(key)
    if (ttlMs <= 0) return
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next()
      if (oldest.done !== true) this.#entries.delete(oldest.value)
    }
    this.#entries.set(key, { value, expiresAtMs: this.#now() + ttlMs })
  }

  get size (): number {
    return this.#entries.size
  }

  clear (): void {
    this.#entries.clear()
  }
}
