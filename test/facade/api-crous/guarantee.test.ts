// The guarantee drills (SPEC §6) with the work arriving through the API CROUS façade, as ESUP-SGC's C8:
// an Izly outage, the worker killed mid-call, Redis restarted after the 204, and 1,000 duplicate PATCHes.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { startLocalRedis } from '../../../src/app/local-redis.ts'
import { jobIdFor } from '../../../src/queue/lanes.ts'
import { startTestGateway, testEnv } from '../../helpers/gateway.ts'
import { callsFor, forEachIzlyTransport, izlyCard, testIzly, type TestIzly } from '../../helpers/izly.ts'
import { uniquePrefix } from '../../helpers/redis.ts'
import { driveToRest } from '../../helpers/rest.ts'
import { sleep, waitFor } from '../../helpers/wait.ts'
import { EsupSgc, randomCsn, randomDigits } from './esup-sgc.ts'

const CLIENT = { clientId: 'esup-sgc', clientSecret: 'esup-sgc-test-secret-0123' }
const extra = { SGC_CROUS_CLIENTS: `${CLIENT.clientId}:${CLIENT.clientSecret}`, FACADE_READ_DEADLINE_MS: '300' }
const MAIN = fileURLToPath(new URL('../../../src/main.ts', import.meta.url))

/** A card ESUP-SGC registered at CROUS before the gateway was plugged in: the gateway meets it at its opposition. */
function seededCard (izly: TestIzly): { id: string, idZdc: string, csn: string } {
  const card = { id: `g${randomDigits(8)}@univ-test.fr`, idZdc: randomDigits(12), csn: randomCsn() }
  izly.putCard({ owner: card.id, smartCard: { idZdc: card.idZdc, uid: card.csn, idTransmitter: 65, idMapping: 1, zdcCreationDate: '2026-08-31T22:00:00.000Z' } })
  return card
}

async function oppose (sgc: EsupSgc, card: { id: string, idZdc: string, csn: string }, reason: string, cancelDate = sgc.localTime()): Promise<number> {
  return (await sgc.call('C8', 'PATCH', `/beforeizly/v1/rightholders/${card.id}/smartcard/${card.idZdc}`, { headers: { uid: card.csn }, body: { cancelDate, reason, revalidationDate: '' } })).status
}

forEachIzlyTransport(t, 'façade oppositions accepted during an Izly outage all arrive, each with its reason', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint, extra })
  const sgc = new EsupSgc(gateway.app, CLIENT)
  const reasons = ['DP', 'DV', 'CD', 'HS']
  const cards = Array.from({ length: 20 }, (_, i) => ({ ...seededCard(izly), reason: reasons[i % 4] as string }))
  izly.setOutage('reset')
  for (const card of cards) t.equal(await oppose(sgc, card, card.reason), 204, 'C8 answered 204 at once: ESUP-SGC commits the opposition')
  await waitFor('calls refused by the outage', () => izly.calls.filter((call) => call.code === 'outage').length >= 3)
  izly.setOutage('off')
  await waitFor('every opposition', () => cards.every((card) => izlyCard(izly, card.idZdc)?.opposed === true), 30_000)
  for (const card of cards) t.equal(izlyCard(izly, card.idZdc)?.reason, card.reason)
  await driveToRest(gateway)
  t.equal((await gateway.admin('GET', '/admin/v1/attention')).body.count, 0)
})

forEachIzlyTransport(t, 'the same C8 sent 1,000 times (concurrently, in waves) opposes the card once', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint, extra })
  const sgc = new EsupSgc(gateway.app, CLIENT)
  t.equal(await sgc.authenticate(), 200)
  const card = seededCard(izly)
  const cancelDate = sgc.localTime()
  const statuses: number[] = []
  for (let wave = 0; wave < 10; wave++) {
    statuses.push(...await Promise.all(Array.from({ length: 100 }, async () => await oppose(sgc, card, 'DV', cancelDate))))
  }
  t.equal(statuses.length, 1000)
  t.ok(statuses.every((status) => status === 204), 'every one answered 204')
  await waitFor('the opposition', () => izlyCard(izly, card.idZdc)?.opposed === true)
  await driveToRest(gateway)
  t.equal(callsFor(izly, 'OpposeSmartCard', card.idZdc).length, 1, 'one OpposeSmartCard reached Izly')
  t.equal((await gateway.registry.getCard(`crous-zdc-${card.idZdc}`))?.version, 1, 'the card changed once')
})

forEachIzlyTransport(t, 'a worker killed mid-call: the façade opposition still takes effect, once', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const prefix = uniquePrefix()
  const api = await startTestGateway(t, { izlyEndpoint: izly.endpoint, prefix, role: 'api', extra })
  const sgc = new EsupSgc(api.app, CLIENT)
  const card = seededCard(izly)
  const worker = spawn(process.execPath, [MAIN], { env: { ...process.env, ...testEnv({ izlyEndpoint: izly.endpoint, prefix, role: 'worker' }) }, stdio: ['ignore', 'ignore', 'ignore'] })
  const exited = new Promise<NodeJS.Signals | null>((resolve) => worker.once('exit', (_code, signal) => resolve(signal)))
  t.teardown(() => { if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL') })
  const queue = api.queues.queue('izly', 'oppose')
  await waitFor('the worker process to connect', async () => (await queue.getWorkers()).length > 0, 20_000)
  izly.setLatency(2_000)
  t.equal(await oppose(sgc, card, 'DP'), 204)
  const cardId = `crous-zdc-${card.idZdc}`
  await waitFor('the job to be running', async () => await queue.getJobState(jobIdFor(cardId)) === 'active')
  await sleep(300)
  worker.kill('SIGKILL')
  t.equal(await exited, 'SIGKILL')
  izly.setLatency(0)
  await startTestGateway(t, { izlyEndpoint: izly.endpoint, prefix, role: 'worker', cleanup: false })
  await waitFor('the opposition', () => izlyCard(izly, card.idZdc)?.opposed === true, 30_000)
  t.equal(izlyCard(izly, card.idZdc)?.reason, 'DP')
  await driveToRest(api)
  t.equal(callsFor(izly, 'OpposeSmartCard', card.idZdc).length, 1, 'one effective OpposeSmartCard')
})

forEachIzlyTransport(t, 'Redis restarted after the 204: the façade opposition still arrives', async (t, transport) => {
  const redis = await startLocalRedis()
  t.teardown(async () => await redis.stop('SIGKILL', true))
  const izly = await testIzly(t, transport)
  const card = seededCard(izly)
  izly.setOutage('http503')
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint, redisUrl: redis.url, cleanup: false, extra })
  const sgc = new EsupSgc(gateway.app, CLIENT)
  t.equal(await oppose(sgc, card, 'CD'), 204)
  await sleep(200)
  await redis.stop('SIGKILL')
  t.equal(await oppose(sgc, seededCard(izly), 'DP'), 503, 'while Redis is down the façade says so: ESUP-SGC rolls back, nothing is lost')
  const restarted = await startLocalRedis({ port: redis.port, dir: redis.dir })
  t.teardown(async () => await restarted.stop('SIGKILL', true))
  izly.setOutage('off')
  await waitFor('the opposition after the restart', () => izlyCard(izly, card.idZdc)?.opposed === true, 45_000)
  t.equal(izlyCard(izly, card.idZdc)?.reason, 'CD')
  await gateway.close()
})
