import type { Redis } from 'ioredis'
import { pseudonymiser } from '../../domain/pseudonym.ts'
import type { HolderKeysHook } from '../../retention/key-families.ts'
import type { FacadePerson } from './bodies.ts'

/**
 * What the ESC façade keeps of a person between ESUP-SGC's calls: the PersonUpdateView of the last E2/E3
 * (the card that follows, E5, carries only the ESI), and the ids of the cards met with that ESI (an E4
 * withdraws consent on each). Keys are named by a keyed hash of the lower-cased ESI, never the ESI.
 */
export interface PersonStore {
  get (esi: string): Promise<FacadePerson | undefined>
  put (person: FacadePerson): Promise<void>
  /** Forgets the person's data (an E4), keeping which cards were theirs. */
  forget (esi: string): Promise<void>
  addCard (esi: string, cardId: string): Promise<void>
  cardIds (esi: string): Promise<string[]>
}

/** The façade's two keys for one ESI: the person's last PersonUpdateView and the ids of their cards. */
export function personStoreKeys (prefix: string, pseudonymKey: string): (esi: string) => { person: string, cards: string } {
  const hash = pseudonymiser(pseudonymKey, 'esc-facade-person')
  return (esi) => {
    const named = hash(esi.toLowerCase())
    return { person: `${prefix}:esc-facade:person:${named}`, cards: `${prefix}:esc-facade:person-cards:${named}` }
  }
}

export function createPersonStore (redis: Redis, prefix: string, pseudonymKey: string): PersonStore {
  const keysOf = personStoreKeys(prefix, pseudonymKey)
  const personKey = (esi: string): string => keysOf(esi).person
  const cardsKey = (esi: string): string => keysOf(esi).cards
  return {
    async get (esi) {
      const json = await redis.get(personKey(esi))
      return json === null ? undefined : JSON.parse(json) as FacadePerson
    },
    async put (person) {
      await redis.set(personKey(person.esi), JSON.stringify(person))
    },
    async forget (esi) {
      await redis.del(personKey(esi))
    },
    async addCard (esi, cardId) {
      await redis.sadd(cardsKey(esi), cardId)
    },
    async cardIds (esi) {
      return await redis.smembers(cardsKey(esi))
    },
  }
}

/** For an erasure (retention/): the façade's keys about the holders of these cards, found by their ESI. */
export function personStoreHolderKeys (prefix: string, pseudonymKey: string): HolderKeysHook {
  const keysOf = personStoreKeys(prefix, pseudonymKey)
  return ({ records }) => [...new Set(records.flatMap((record) => {
    const esi = record.holder.esi
    if (esi === undefined || esi === '') return []
    const { person, cards } = keysOf(esi)
    return [person, cards]
  }))]
}
