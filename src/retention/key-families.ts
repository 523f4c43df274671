import type { CardRecord } from '../domain/card-record.ts'

/**
 * Every key family under `<prefix>:` and what happens to it when a card's personal data is erased (by
 * the retention pass or by `DELETE /admin/v1/holders/{eppn}`). The erasure test scans every key
 * after an erasure; a new family that holds personal data must be listed here and erased in
 * erase-cards.lua (or through `HolderKeysHook`), or that test fails.
 */
export const KEY_FAMILIES: ReadonlyArray<{ family: string, erasure: string }> = [
  { family: 'card:<cardId>', erasure: 'deleted (the record: names, e-mail, birth date, INE, ESI, eppn...)' },
  { family: 'timeline:<cardId>', erasure: 'deleted (the SGC events of the card)' },
  { family: 'activity:<downstream>:<cardId>', erasure: 'deleted (calls, faults, person references)' },
  { family: 'sync:<downstream>:<cardId>', erasure: 'deleted (remoteHolder: the Izly key, the ESI); its counters move to the tombstone' },
  { family: 'lease:<downstream>:<cardId>', erasure: 'must be free (no job running), else refused as busy' },
  { family: 'dirty:<downstream>', erasure: 'the card id removed' },
  { family: 'attention:<downstream>', erasure: 'the card\'s entry removed (an entry at the current version is pending work: refused)' },
  { family: 'index:csn|idZdc|escn:<value>', erasure: 'deleted when it points at the card' },
  { family: 'holder:<hash of eppn>', erasure: 'the card id removed; a holder\'s erasure deletes the set' },
  { family: 'holder-lease:<downstream>:<hash of eppn>', erasure: 'must be free, else refused as busy' },
  { family: 'bull:<downstream>-<lane>:card-<cardId> (job hash, logs)', erasure: 'removed (only finished or failed jobs can be left: a job in flight is pending work)' },
  { family: 'erased:<cardId>', erasure: 'written: the tombstone (state, versions, counts, times; nothing about the person)' },
  { family: 'event:<eventId>', erasure: 'kept until its own expiry (IDEMPOTENCY_RETENTION_DAYS): a fingerprint and the card id, so an SGC resend is still a duplicate, never a new card' },
  { family: 'facade-crous:holder|holder-cards:<hash of the holder key>', erasure: 'deleted for each key the holder is filed under (eppn, INE, crousIdentifier): the API CROUS façade\'s last RightHolder ESUP-SGC wrote (names, e-mail, birth date) and the card ids' },
  { family: 'facade-crous:token:<sha256>', erasure: 'untouched: a token the façade issued, about no person (expires by itself)' },
  { family: 'esc-facade:person|person-cards:<hash of ESI>', erasure: 'deleted with the cards whose holder has that ESI (the ESC façade\'s last PersonUpdateView: name, e-mail)' },
  { family: 'breaker*, sweep-stats, wss-nonce, retention:cursor, bull:sweep', erasure: 'untouched: nothing about cards or people' },
]

/**
 * Keys a component outside the registry keeps for a holder (the ESUP-SGC façades' holder registries,
 * `<prefix>:esc-facade:…`): given the eppn and the card records, the keys to delete
 * in the same script as the rest of the holder's data.
 */
export type HolderKeysHook = (holder: { eppn: string, records: readonly CardRecord[] }) => Promise<string[]> | string[]
