import type { CardEvent } from '../../src/domain/card-event.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import type { Test } from 'tap'
import { startIzlySimulator, type IzlySimulator } from '../../src/simulators/izly/server.ts'
import { isCardOpposed } from '../../src/simulators/izly/state.ts'
import { createIzlyClient } from '../../src/downstream/izly/client.ts'
import type { IzlyPort } from '../../src/downstream/izly/port.ts'
import { createIzlyRestClient } from '../../src/downstream/izly/rest-client.ts'

/**
 * How a gateway under test reaches Izly: the SOAP endpoint (a URL), or the API CROUS face of a
 * simulator (testEnv turns either into the gateway's IZLY_* variables).
 */
export type IzlyTestEndpoint = string | { transport: 'rest', apiUrl: string, accessUrl: string, clientId: string, clientSecret: string }

export interface TestIzly extends IzlySimulator {
  /** This simulator's face on the transport it was started for, for startTestGateway / testEnv. */
  endpoint: IzlyTestEndpoint
}

/** An Izly simulator on an ephemeral port, closed on teardown; `transport` says which face gateways use. */
export async function testIzly (t: Test, transport: IzlyTransport = 'soap'): Promise<TestIzly> {
  const simulator = await startIzlySimulator({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => await simulator.close())
  return Object.assign(simulator, { endpoint: transport === 'rest' ? { transport, ...restSettingsOf(simulator) } as const : simulator.url })
}

/**
 * A drill body run once per transport of the Izly port, as two subtests (`name (soap)`, `name (rest)`):
 * the same guarantee, over SOAP and over the API CROUS.
 */
export function forEachIzlyTransport (t: Test, name: string, body: (t: Test, transport: IzlyTransport) => Promise<void>): void {
  for (const transport of IZLY_TRANSPORTS) t.test(`${name} (${transport})`, async (t) => { await body(t, transport) })
}

/** Successful calls (2xx, either face) of one operation about one card (by idZdc). */
export function callsFor (simulator: IzlySimulator, operation: string, idZdc: string): ReturnType<IzlySimulator['listCalls']> {
  return simulator.listCalls().filter((call) => call.operation === operation && call.idZdc === idZdc && call.httpStatus >= 200 && call.httpStatus < 300)
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

/** `count` cards already registered at Izly, and for each the LOST event that opposes it. */
export function seededOppositions (simulator: IzlySimulator, count: number): CardEvent[] {
  return Array.from({ length: count }, () => {
    const enabled = cardEvent({ state: 'ENABLED' })
    seedCard(simulator, enabled)
    return cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'LOST' })
  })
}

/** What a REST client (or a gateway's IZLY_API_URL…) needs to call this simulator's API CROUS face. */
export function restSettingsOf (simulator: IzlySimulator): { apiUrl: string, accessUrl: string, clientId: string, clientSecret: string } {
  return { apiUrl: simulator.apiUrl, accessUrl: simulator.accessUrl, clientId: simulator.clientId, clientSecret: simulator.clientSecret }
}

export type IzlyTransport = 'soap' | 'rest'
/** Both transports of the Izly port, for tests and drills that run over each. */
export const IZLY_TRANSPORTS: readonly IzlyTransport[] = ['soap', 'rest']

/** An Izly port on `transport` to this simulator's face, closed on teardown. */
export async function izlyClientFor (t: Test, simulator: IzlySimulator, transport: IzlyTransport): Promise<IzlyPort> {
  const client = transport === 'rest'
    ? createIzlyRestClient({ ...restSettingsOf(simulator), timeoutMs: 3000 })
    : await createIzlyClient({ endpoint: simulator.url, timeoutMs: 3000 })
  t.teardown(async () => await client.close())
  return client
}
