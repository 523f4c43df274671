import type { DownstreamName } from '../domain/downstream.ts'
import { pseudonymiser } from '../domain/pseudonym.ts'

/** Identifiers a card can be looked up by (SPEC §7): chip serial, Izly card number, ESCN. */
export type CardIdentifierKind = 'csn' | 'idZdc' | 'escn'

/** Every Redis key the registry writes is built here, under one prefix (several gateways may share a Redis). */
export interface RegistryKeys {
  event (eventId: string): string
  card (cardId: string): string
  /** The SGC's events for a card (and only them: faults never push one out). */
  timeline (cardId: string): string
  /** One downstream's calls, faults, confirmations, attention and replays for a card, capped, repeats coalesced. */
  activity (downstream: DownstreamName, cardId: string): string
  sync (downstream: DownstreamName, cardId: string): string
  dirty (downstream: DownstreamName): string
  lease (downstream: DownstreamName, cardId: string): string
  /**
   * Set of the ids of a holder's cards: whether any other card keeps their ESC person. Named by a keyed
   * hash of the eppn, never the eppn (key names show in SLOWLOG, MONITOR and scans).
   */
  holderCards (eppn: string): string
  /** Serialises the work one downstream does on a holder's shared data (the ESC person); by the same hash. */
  holderLease (downstream: DownstreamName, eppn: string): string
  /** Card id by one of the card's identifiers, for the validity lookups. */
  index (kind: CardIdentifierKind, value: string): string
  /** A WS-Security nonce seen by the validity service (replay protection across API replicas). */
  soapNonce (nonceKey: string): string
  /** Work of one downstream waiting for an operator, by card id (HLEN counts it for free). */
  attention (downstream: DownstreamName): string
  /** One downstream's breaker, shared by every worker process (queue/breaker.ts). */
  breaker (downstream: DownstreamName): string
  /** Held by the one call probing a downstream whose breaker is open. */
  breakerProbe (downstream: DownstreamName): string
  /** What the last sweep found for one downstream (the metrics read it, never the cards). */
  sweepStats (downstream: DownstreamName): string
  /**
   * What stays of a card whose personal data was erased (retention/): state, versions, counts, times and
   * the time of its last state, so that a late event does not bring the card back.
   */
  erased (cardId: string): string
  bullPrefix (): string
}

/** `pseudonymKey` is PSEUDONYM_KEY: holder keys are named by an HMAC of the eppn under it. */
export function buildKeys (prefix: string, pseudonymKey: string): RegistryKeys {
  const holder = pseudonymiser(pseudonymKey, 'holder-key')
  return {
    event: (eventId) => `${prefix}:event:${eventId}`,
    card: (cardId) => `${prefix}:card:${cardId}`,
    timeline: (cardId) => `${prefix}:timeline:${cardId}`,
    activity: (downstream, cardId) => `${prefix}:activity:${downstream}:${cardId}`,
    sync: (downstream, cardId) => `${prefix}:sync:${downstream}:${cardId}`,
    dirty: (downstream) => `${prefix}:dirty:${downstream}`,
    lease: (downstream, cardId) => `${prefix}:lease:${downstream}:${cardId}`,
    holderCards: (eppn) => `${prefix}:holder:${holder(eppn)}`,
    holderLease: (downstream, eppn) => `${prefix}:holder-lease:${downstream}:${holder(eppn)}`,
    index: (kind, value) => `${prefix}:index:${kind}:${value}`,
    soapNonce: (nonceKey) => `${prefix}:wss-nonce:${nonceKey}`,
    attention: (downstream) => `${prefix}:attention:${downstream}`,
    breaker: (downstream) => `${prefix}:breaker:${downstream}`,
    breakerProbe: (downstream) => `${prefix}:breaker-probe:${downstream}`,
    sweepStats: (downstream) => `${prefix}:sweep-stats:${downstream}`,
    erased: (cardId) => `${prefix}:erased:${cardId}`,
    bullPrefix: () => `${prefix}:bull`,
  }
}
