/**
 * Answers a simulator gives instead of doing the work, as a test or a drill scripts them: each is used
 * up after `times` matching calls, or lasts until removed.
 */
export class ScriptedFaults<Input extends { times?: number }> {
  readonly #check: (input: Input) => void
  #faults: Array<Input & { id: string }> = []
  #lastId = 0

  /** `check` throws a TypeError naming the first bad field of an input. */
  constructor (check: (input: Input) => void) {
    this.#check = check
  }

  add (input: Input): Input & { id: string } {
    this.#check(input)
    this.#lastId += 1
    const fault = { ...input, id: String(this.#lastId) }
    this.#faults.push(fault)
    return structuredClone(fault)
  }

  list (): Array<Input & { id: string }> {
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
  take (matches: (fault: Input) => boolean): Input & { id: string } | undefined {
    const fault = this.#faults.find(matches)
    if (fault === undefined) return undefined
    if (fault.times !== undefined) {
      fault.times -= 1
      if (fault.times <= 0) this.remove(fault.id)
    }
    return fault
  }
}
