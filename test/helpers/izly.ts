import type { CardEvent } from '../../src/domain/card-event.ts'
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
  return simulator.listCalls().filter((call) => call.operation === operation && call.idZdc === idZdc && call.httpStatus === 200)
}

/** The card as the simulator holds it, or undefined. */
export function izlyCard (simulator: IzlySimulator, idZdc: string): { opposed: boolean, reason?: string } | undefined {
  const card = simulator.dumpState().cards.find((c) => c.smartCard.idZdc === idZdc)
  if (card === undefined) return undefined
  return { opposed: isCardOpposed(card), ...(card.reason !== undefined ? { reason: card.reason } : {}) }
}

/** Puts the event's card at Izly as registered and active, as if an earlier enablement had gone through. */
export function seedCard (simulator: IzlySimulator, event: CardEvent): void {
  const crous = event.card.crous
  if (crous === undefined || event.card.csn === undefined) throw new Error('seedCard needs a card with CROUS data and a CSN')
  simulator.putCard({ owner: event.holder.eppn, smartCard: { ...crous, uid: event.card.csn } })
}

/** What a REST client (or a gateway's IZLY_API_URL…) needs to call this simulator's API CROUS face. */
export function restSettingsOf (simulator: IzlySimulator): { apiUrl: string, accessUrl: string, clientId: string, clientSecret: string } {
  return { apiUrl: simulator.apiUrl, accessUrl: simulator.accessUrl, clientId: simulator.clientId, clientSecret: simulator.clientSecret }
}
