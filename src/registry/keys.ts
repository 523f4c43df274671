import type { DownstreamName } from '../domain/downstream.ts'

/** Every Redis key the registry writes is built here, under one prefix (several gateways may share a Redis). */
export interface RegistryKeys {
  event (eventId: string): string
  card (cardId: string): string
  timeline (cardId: string): string
  sync (downstream: DownstreamName, cardId: string): string
  dirty (downstream: DownstreamName): string
  lease (downstream: DownstreamName, cardId: string): string
  attention (): string
  bullPrefix (): string
}

export function buildKeys (prefix: string): RegistryKeys {
  return {
    event: (eventId) => `${prefix}:event:${eventId}`,
    card: (cardId) => `${prefix}:card:${cardId}`,
    timeline: (cardId) => `${prefix}:timeline:${cardId}`,
    sync: (downstream, cardId) => `${prefix}:sync:${downstream}:${cardId}`,
    dirty: (downstream) => `${prefix}:dirty:${downstream}`,
    lease: (downstream, cardId) => `${prefix}:lease:${downstream}:${cardId}`,
    attention: () => `${prefix}:attention`,
    bullPrefix: () => `${prefix}:bull`,
  }
}
