import type { Test } from 'tap'
import { startIzlySimulator, type IzlySimulator } from '../../src/simulators/izly/server.ts'
import { isCardOpposed } from '../../src/simulators/izly/state.ts'

/** An Izly simulator on an ephemeral port, closed on teardown. */
export async function testIzly (t: Test): Promise<IzlySimulator> {
  const simulator = await startIzlySimulator({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => await simulator.close())
  return simulator
}

/** Successful calls of one operation about one card (by idZdc). */
export function callsFor (simulator: IzlySimulator, operation: string, idZdc: string): ReturnType<IzlySimulator['listCalls']> {
  return simulator.listCalls().filter((call) => call.operation === operation && call.idZdc === idZdc)
}

/** The card as the simulator holds it, or undefined. */
export function izlyCard (simulator: IzlySimulator, idZdc: string): { opposed: boolean, reason?: string } | undefined {
  const card = simulator.dumpState().cards.find((c) => c.smartCard.idZdc === idZdc)
  if (card === undefined) return undefined
  return { opposed: isCardOpposed(card), ...(card.reason !== undefined ? { reason: card.reason } : {}) }
}
