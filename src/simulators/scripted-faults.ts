/** A scripted fault as kept and listed: the input, and the id that removes it. */
export type Scripted<Input> = Input & { id: string }

/**
 * Answers a simulator gives instead of doing the work, as a test or a drill scripts them: each is used
 * up after `times` matching calls, or lasts until removed.
 */
export class ScriptedFaults<Input extends { times?: number }> {
  readonly #check: (input: Input) => void
  #faults: Array<Scripted<Input>> = []
  #lastId = 0

  /** `check` throws a TypeError naming the first bad field of an input (`times` is checked here). */
  constructor (check: (input: Input) => void) {
    this.#check = check
  }

  add (input: Input): Scripted<Input> {
    this.#check(input)
    if (input.times !== undefined && (!Number.isInteger(input.times) || input.times < 1)) throw new TypeError('times must be a positive integer')
    this.#lastId += 1
    const fault = { ...input, id: String(this.#lastId) }
    this.#faults.push(fault)
    return structuredClone(fault)
  }

  list (): Array<Scripted<Input>> {
    return structuredClone(this.#faults)
  }

  remove (id: string): boolean {
    const before = this.#faults.length
    this.#faults = this.#faults.filter((fault) => fault.id !== id)
    return this.#faults.length < before
  }

  clear (): void {
    this.#faults = []
  }

  /** The first fault `matches` accepts, if any; one with `times` is used up by it. */
  take (matches: (fault: Input) => boolean): Scripted<Input> | undefined {
    const fault = this.#faults.find(matches)
    if (fault === undefined) return undefined
    if (fault.times !== undefined) {
      fault.times -= 1
      if (fault.times <= 0) this.remove(fault.id)
    }
    return fault
  }
}
