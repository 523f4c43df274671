import type { EsupSgc } from './esup-sgc.ts'
import { randomCsn, randomDigits } from './esup-sgc.ts'
import type { TestIzly } from '../../../helpers/izly.ts'

export const CLIENT = { clientId: 'esup-sgc', clientSecret: 'esup-sgc-test-secret-0123' }
export const extra = { SGC_CROUS_CLIENTS: `${CLIENT.clientId}:${CLIENT.clientSecret}`, FACADE_READ_DEADLINE_MS: '300' }

/** A card ESUP-SGC registered at CROUS before the gateway was plugged in: the gateway meets it at its opposition. */
export function seededCard (izly: TestIzly): { id: string, idZdc: string, csn: string } {
  const card = { id: `g${randomDigits(8)}@univ-test.fr`, idZdc: randomDigits(12), csn: randomCsn() }
  izly.putCard({ owner: card.id, smartCard: { idZdc: card.idZdc, uid: card.csn, idTransmitter: 65, idMapping: 1, zdcCreationDate: '2026-08-31T22:00:00.000Z' } })
  return card
}

/** ESUP-SGC's C8 for that card; its status. */
export async function oppose (sgc: EsupSgc, card: { id: string, idZdc: string, csn: string }, reason: string, cancelDate = sgc.localTime()): Promise<number> {
  return (await sgc.call('C8', 'PATCH', `/beforeizly/v1/rightholders/${card.id}/smartcard/${card.idZdc}`, { headers: { uid: card.csn }, body: { cancelDate, reason, revalidationDate: '' } })).status
}
