import type { DownstreamName } from '../domain/downstream.ts'

/** Identifiers a card can be looked up by (SPEC §7): chip serial, Izly card number, ESCN. */
export type CardIdentifierKind = 'csn' | 'idZdc' | 'escn'

/** Every Redis key the registry writes is built here, under one prefix (several gateways may share a Redis). */
export interface RegistryKeys {
  event (eventId: string): string
  card (cardId: string): string
  timeline (cardId: string): string
  sync (downstream: DownstreamName, cardId: string): string
  dirty (downstream: DownstreamName): string
  lease (downstream: DownstreamName, cardId: string): string
  /** Set of the ids of a holder's cards (by eppn): whether any other card keeps their ESC person. */
  holderCards (eppn: string): string
  /** Serialises the work one downstream does on a holder's shared data (the ESC person). */
  holderLease (downstream: DownstreamName, eppn: string): string
  /** Card id by one of the card's identifiers, for the validity lookups. */
  index (kind: CardIdentifierKind, value: string): string
  /** A WS-Security nonce seen by the validity service (replay protection across API replicas). */
  soapNonce (nonceKey: string): string
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
    holderCards: (eppn) => `${prefix}:holder:${eppn}`,
    holderLease: (downstream, eppn) => `${prefix}:holder-lease:${downstream}:${eppn}`,
    index: (kind, value) => `${prefix}:index:${kind}:${value}`,
    soapNonce: (nonceKey) => `${prefix}:wss-nonce:${nonceKey}`,
    attention: () => `${prefix}:attention`,
    bullPrefix: () => `${prefix}:bull`,
  }
}
