import { randomBytes } from 'node:crypto'
import type { CardEvent } from '../../src/domain/card-event.ts'
import type { CardSeed } from '../../src/simulators/izly/state.ts'
import { signBody } from '../../src/intake/signature.ts'
import { cardEvent, crousData } from '../fixtures/card-events.ts'

/** Tags this run's ids, so a rerun against a Redis that still holds an old run never sees duplicates. */
export const RUN_ID = randomBytes(3).toString('hex')

/**
 * A valid SGC card event for bench card `index` of `series` (0-9). The fixture's idZdc and CSN come
 * from the first characters of the card id, which would be the same for every bench card, so both
 * are made unique here: the simulator keys cards by idZdc.
 */
export function benchEvent (series: number, index: number, state: 'ENABLED' | 'DISABLED'): CardEvent {
  const cardId = `bench-${RUN_ID}-${series}-${index}`
  const event = cardEvent({
    cardId,
    state,
    eventId: `${cardId}-${state}`,
    ...(state === 'DISABLED' ? { disableReason: 'LOST' as const } : {}),
  })
  event.card.csn = (series * 1e12 + index).toString(16).padStart(14, '0').toUpperCase()
  event.card.crous = { ...crousData(cardId), idZdc: benchIdZdc(series, index) }
  return event
}

export function benchIdZdc (series: number, index: number): string {
  return `8${series}${String(index).padStart(13, '0')}`
}

/** The card as Izly would hold it after an earlier registration, so that opposing it really opposes. */
export function izlySeedOf (event: CardEvent): CardSeed {
  const crous = event.card.crous
  if (crous === undefined || event.card.csn === undefined) throw new Error('bench event without CROUS data')
  return { owner: event.holder.eppn, smartCard: { ...crous, uid: event.card.csn } }
}

export interface SignedBodies {
  bodies: string[]
  signatures: string[]
}

/** JSON bodies and their X-Signature, computed before any timing starts. */
export function signAll (payloads: unknown[], secret: string): SignedBodies {
  const bodies = payloads.map((payload) => JSON.stringify(payload))
  return { bodies, signatures: bodies.map((body) => signBody(secret, body)) }
}

export function range (from: number, count: number): number[] {
  return Array.from({ length: count }, (_, offset) => from + offset)
}
