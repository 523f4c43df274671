import { checkLatency, checkOutageMode, type OutageMode } from './outage.ts'
import type { Scripted, ScriptedFaults } from './scripted-faults.ts'

/**
 * The switches every simulator offers a test or a fault drill, in process: scripted faults, an
 * outage, added latency, and the calls it received. Each simulator adds its own state and seeds; its
 * control API (control-routes.ts) is a thin HTTP face of these methods.
 */
export abstract class SimulatorControls<Input extends { times?: number }, Call> {
  abstract readonly faults: ScriptedFaults<Input>
  readonly calls: Call[] = []
  outage: OutageMode = 'off'
  /** Added before every answer, in milliseconds. */
  latencyMs = 0
  /** Calls being answered right now, and the most there ever were at once (a breaker lets one probe through). */
  concurrentCalls = 0
  peakConcurrentCalls = 0

  /** Wraps the answering of one call, so that concurrentCalls and peakConcurrentCalls count it. */
  async counted<T> (answer: () => Promise<T>): Promise<T> {
    this.concurrentCalls++
    this.peakConcurrentCalls = Math.max(this.peakConcurrentCalls, this.concurrentCalls)
    try {
      return await answer()
    } finally {
      this.concurrentCalls--
    }
  }

  scriptFault (input: Input): Scripted<Input> {
    return this.faults.add(input)
  }

  listFaults (): Array<Scripted<Input>> {
    return this.faults.list()
  }

  removeFault (id: string): boolean {
    return this.faults.remove(id)
  }

  clearFaults (): void {
    this.faults.clear()
  }

  setOutage (mode: OutageMode): void {
    checkOutageMode(mode)
    this.outage = mode
  }

  setLatency (ms: number): void {
    checkLatency(ms)
    this.latencyMs = ms
  }

  listCalls (): Call[] {
    return structuredClone(this.calls)
  }

  clearCalls (): void {
    this.calls.length = 0
  }

  abstract dumpState (): unknown

  /** No faults, calls, outage or latency any more; a simulator empties its own state too. */
  reset (): void {
    this.faults.clear()
    this.clearCalls()
    this.outage = 'off'
    this.latencyMs = 0
    this.peakConcurrentCalls = this.concurrentCalls
  }
}
