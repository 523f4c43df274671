// Guarantee drills (SPEC §6) with the work arriving through the API CROUS façade as ESUP-SGC's C8: the worker
// killed mid-call, Redis restarted after the 204 (guarantee.test.ts: outage, 1,000 duplicates).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { startLocalRedis } from '../../../src/app/local-redis.ts'
import { jobIdFor } from '../../../src/queue/lanes.ts'
import { startTestGateway, testEnv } from '../../helpers/gateway.ts'
import { callsFor, forEachIzlyTransport, izlyCard, testIzly } from '../../helpers/izly.ts'
import { uniquePrefix } from '../../helpers/redis.ts'
import { driveToRest } from '../../helpers/rest.ts'
import { sleep, waitFor } from '../../helpers/wait.ts'
import { EsupSgc } from './helpers/esup-sgc.ts'
import { CLIENT, extra, oppose, seededCard } from './helpers/drills.ts'

// Generous: on a loaded 2-vCPU machine (the suite runs two files at once) these drills take minutes, not seconds.
t.setTimeout(360_000)

const MAIN = fileURLToPath(new URL('../../../src/main.ts', import.meta.url))

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
