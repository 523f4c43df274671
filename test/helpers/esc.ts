import { createHash } from 'node:crypto'
import type { Test } from 'tap'
import type { EscEndpoint } from '../../src/app/gateway.ts'
import type { CardEvent } from '../../src/domain/card-event.ts'
import { esiFromIne } from '../../src/domain/esc-identifiers.ts'
import { simulatedPersonRef } from '../../src/simulators/esc/controls.ts'
import type { EscRecordedCall } from '../../src/simulators/esc/controls.ts'
import { type EscSimulator, startEscSimulator } from '../../src/simulators/esc/server.ts'
import { cardEvent, type EventOptions } from '../fixtures/card-events.ts'

/** The test institution's PIC (the one in the ESCN generator's own test, esc-router.md §4.3). */
export const TEST_PIC = '999859608'
export const TEST_ESC_TOKEN = 'test-esc-token-0123456789'

export interface TestEsc extends EscSimulator {
  /** What a gateway or a client needs to call this simulator. */
  endpoint: EscEndpoint
}

/** An ESC Router simulator on an ephemeral port for TEST_PIC, closed on teardown. */
export async function testEsc (t: Test): Promise<TestEsc> {
  const simulator = await startEscSimulator({ host: '127.0.0.1', port: 0, token: TEST_ESC_TOKEN, pic: TEST_PIC })
  t.teardown(async () => await simulator.close())
  return Object.assign(simulator, { endpoint: { url: simulator.url, token: TEST_ESC_TOKEN, pic: TEST_PIC } })
}

/** A valid ESCN of TEST_PIC, derived from `seed` so every card differs (prefix 001). */
export function escnOf (seed: string): string {
  const hex = createHash('sha256').update(`escn:${seed}`).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-1${hex.slice(12, 15)}-a${hex.slice(15, 18)}-001${TEST_PIC}`
}

/** An INE-like student number derived from `seed` (10 digits and a letter). */
export function ineOf (seed: string): string {
  const digits = (BigInt('0x' + createHash('sha256').update(`ine:${seed}`).digest('hex').slice(0, 12)) % 10n ** 10n).toString().padStart(10, '0')
  return `${digits}A`
}

export interface EscEventOptions extends EventOptions {
  escn?: string
  /** null: the holder has no INE. @defaultValue one derived from the eppn */
  ine?: string | null
  esi?: string
  issuedAt?: string
  expiresAt?: string
}

/**
 * A card event ready for the ESC Router: consent given, an ESCN of TEST_PIC, an INE (so a derived
 * ESI), issue and expiry dates. The CROUS part is the usual one, so Izly gets its work too.
 */
export function escCardEvent (options: EscEventOptions = {}): CardEvent {
  const event = cardEvent({ escConsent: true, ...options })
  event.card.escn = options.escn ?? escnOf(event.card.id)
  event.card.issuedAt = options.issuedAt ?? '2026-09-01'
  event.card.expiresAt = options.expiresAt ?? '2030-08-31'
  if (options.ine === null) delete event.holder.ine
  else event.holder.ine = options.ine ?? ineOf(event.holder.eppn)
  if (options.esi !== undefined) event.holder.esi = options.esi
  return event
}

/** The ESI the gateway derives for an event's holder (given, else from the INE). */
export function esiOf (event: CardEvent): string {
  if (event.holder.esi !== undefined) return event.holder.esi
  if (event.holder.ine === undefined) throw new Error('no ESI: the holder has neither an ESI nor an INE')
  return esiFromIne(event.holder.ine)
}

/** Calls of one operation (an operationId) about one card or person, by default only the successful ones. */
export function escCalls (simulator: EscSimulator, operation: string, about: { escn?: string, esi?: string }, options: { all?: boolean } = {}): EscRecordedCall[] {
  const person = about.esi === undefined ? undefined : simulatedPersonRef(about.esi)
  return simulator.calls.filter((call) => call.operation === operation &&
    (about.escn === undefined || call.escn === about.escn) &&
    (person === undefined || call.person === person) &&
    (options.all === true || (call.httpStatus >= 200 && call.httpStatus < 300)))
}

/** The card as the router holds it (its public status), or undefined. */
export function escCard (simulator: EscSimulator, escn: string): { status: string, personIdentifier: string, expiresAt: string } | undefined {
  const card = simulator.state.cards.get(escn)
  if (card === undefined) return undefined
  return { status: simulator.state.statusOf(card), personIdentifier: card.personIdentifier, expiresAt: card.expiresAt }
}

/** Whether the router holds a person under this ESI (case-insensitively). */
export function hasEscPerson (simulator: EscSimulator, esi: string): boolean {
  return simulator.state.persons.has(esi.toLowerCase())
}
