// Drill 3: Redis restarted after the 202 (AOF on, a Redis this test starts on a free port, killed
// with SIGKILL): the opposition still arrives.
import t from 'tap'
import { startLocalRedis } from '../../src/app/local-redis.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { izlyCard, seedCard, forEachIzlyTransport, testIzly } from '../helpers/izly.ts'
import { sleep, waitFor } from '../helpers/wait.ts'

forEachIzlyTransport(t, 'an accepted opposition survives a Redis crash and restart', async (t, transport) => {
  const redis = await startLocalRedis()
  t.teardown(async () => await redis.stop('SIGKILL', true))
  const izly = await testIzly(t, transport)
  const enabled = cardEvent({ state: 'ENABLED' })
  seedCard(izly, enabled)
  const idZdc = enabled.card.crous?.idZdc as string
  izly.setOutage('http503') // nothing can be delivered before the crash

  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint, redisUrl: redis.url, cleanup: false })
  t.equal((await gateway.post(cardEvent({ cardId: enabled.card.id, state: 'DISABLED', disableReason: 'THEFT' }))).status, 202)
  await sleep(200)
  await redis.stop('SIGKILL')

  const refused = await gateway.post(cardEvent({ state: 'DISABLED' }))
  t.equal(refused.status, 503, 'while Redis is down, intake says so')
  t.match(refused.body, { status: 503 })

  const restarted = await startLocalRedis({ port: redis.port, dir: redis.dir })
  t.teardown(async () => await restarted.stop('SIGKILL', true))
  izly.setOutage('off')
  await waitFor('the opposition after the restart', () => izlyCard(izly, idZdc)?.opposed === true, 45_000)
  t.equal(izlyCard(izly, idZdc)?.reason, 'DV')
  await gateway.close()
})
