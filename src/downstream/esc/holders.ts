import { setTimeout as sleep } from 'node:timers/promises'
import type { CardRecord } from '../../domain/card-record.ts'
import type { Registry } from '../../registry/registry.ts'
import { DownstreamError } from '../errors.ts'

/**
 * What the ESC sync needs to know about a holder's other cards. A person at the router is shared by
 * all of a holder's cards, so deciding "none of their cards is left active" and deleting the person
 * must not interleave with another card registering them again.
 */
export interface EscHolders {
  /** The holder's cards (by eppn), as their records stand now. */
  cardsOf (eppn: string): Promise<CardRecord[]>
  /** Runs `work` alone among the ESC syncs of this holder's cards. */
  exclusive<T> (eppn: string, work: () => Promise<T>): Promise<T>
}

export interface RegistryHoldersOptions {
  /** How long the holder's lease lasts without being released (a dead worker's lapses), ms. */
  leaseMs: number
  /** How long to wait for a busy holder before handing the job back for a retry, ms. @defaultValue 2000 */
  waitMs?: number
}

export function createRegistryHolders (registry: Registry, options: RegistryHoldersOptions): EscHolders {
  const waitMs = options.waitMs ?? 2_000
  return {
    cardsOf: async (eppn) => await registry.listHolderCards(eppn),
    async exclusive (eppn, work) {
      const deadline = Date.now() + waitMs
      let token = await registry.acquireHolderLease('esc', eppn, options.leaseMs)
      while (token === null) {
        if (Date.now() > deadline) {
          // Another card of the holder is being synced: a short wait and a retry, not an error for a human.
          throw new DownstreamError({ downstream: 'esc', code: 'HOLDER_BUSY', message: 'another card of the holder is being synced with the ESC Router', transient: true, outage: false, retryAfterMs: 250 })
        }
        await sleep(20 + Math.floor(Math.random() * 30))
        token = await registry.acquireHolderLease('esc', eppn, options.leaseMs)
      }
      // Renewed while the work runs: retiring a person is several calls, each bounded by ESC_TIMEOUT_MS only.
      const held = token
      const renewal = setInterval(() => {
        registry.renewHolderLease('esc', eppn, held, options.leaseMs).catch(() => {})
      }, options.leaseMs / 2)
      try {
        return await work()
      } finally {
        clearInterval(renewal)
        await registry.releaseHolderLease('esc', eppn, token)
      }
    },
  }
}
