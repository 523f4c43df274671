// The façade's Redis store: what it holds about a right holder is under the keys apiCrousHolderKeys names
// (what a holder's erasure deletes), never under a key name carrying the holder's key.
import t from 'tap'
import { apiCrousHolderKeys, FacadeStore } from '../../../src/facade/api-crous/store.ts'
import { countKeys, testRedis, TEST_PSEUDONYM_KEY, uniquePrefix } from '../../helpers/redis.ts'

t.test('the keys of a holder are the ones apiCrousHolderKeys names, and name no eppn', async (t) => {
  const prefix = uniquePrefix()
  const redis = await testRedis(t, prefix)
  const store = new FacadeStore({ redis, prefix, pseudonymKey: TEST_PSEUDONYM_KEY, deadlineMs: 2000, tokenTtlSeconds: 60 })
  const eppn = 'edarcyq7741@univ-rouen.fr'
  await store.saveSent(eppn, { identifier: eppn, firstName: 'Eloise' }, { firstName: 'Eloise' })
  await store.addHolderCard(eppn, 'crous-zdc-123')
  const keys = apiCrousHolderKeys(prefix, TEST_PSEUDONYM_KEY, eppn)
  t.same(await Promise.all(keys.map(async (key) => await redis.exists(key))), [1, 1], 'both keys hold its data')
  t.equal(await countKeys(redis, prefix), 2, 'nothing else')
  t.notOk(keys.some((key) => key.includes('edarcyq')), 'key names carry a keyed hash, not the eppn')
  await redis.del(...keys)
  t.equal(await store.getHolder(eppn), undefined, 'deleted: nothing held any more')
  t.same(await store.holderCards(eppn), [])
})
