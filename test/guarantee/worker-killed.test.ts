// Drill 2: the worker process is killed with SIGKILL in the middle of an Izly call: the opposition
// still takes effect, once.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { jobIdFor } from '../../src/queue/lanes.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway, testEnv } from '../helpers/gateway.ts'
import { callsFor, izlyCard, seedCard, forEachIzlyTransport, testIzly } from '../helpers/izly.ts'
import { uniquePrefix } from '../helpers/redis.ts'
import { driveToRest } from '../helpers/rest.ts'
import { sleep, waitFor } from '../helpers/wait.ts'

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url))

forEachIzlyTransport(t, 'SIGKILL mid-call: another worker finishes the opposition, with one effect at Izly', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const prefix = uniquePrefix()
  const api = await startTestGateway(t, { izlyEndpoint: izly.endpoint, prefix, role: 'api' })
  const enabled = cardEvent({ state: 'ENABLED' })
  seedCard(izly, enabled)
  const idZdc = enabled.card.crous?.idZdc as string
  const cardId = enabled.card.id

  const worker = spawn(process.execPath, [MAIN], {
    env: { ...process.env, ...testEnv({ izlyEndpoint: izly.endpoint, prefix, role: 'worker' }) },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  worker.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const exited = new Promise<NodeJS.Signals | null>((resolve) => worker.once('exit', (_code, signal) => resolve(signal)))
  t.teardown(() => { if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL') })
  const opposeQueue = api.queues.queue('izly', 'oppose')
  await waitFor(`the worker process to connect (stderr: ${stderr})`, async () => (await opposeQueue.getWorkers()).length > 0, 20_000)

  izly.setLatency(2_000) // the call the worker makes will hang long enough to be killed inside
  t.equal((await api.post(cardEvent({ cardId, state: 'DISABLED', disableReason: 'LOST' }))).status, 202)
  await waitFor('the job to be running', async () => await opposeQueue.getJobState(jobIdFor(cardId)) === 'active')
  await sleep(300)
  t.equal(izlyCard(izly, idZdc)?.opposed, false, 'killed before Izly answered')
  worker.kill('SIGKILL')
  t.equal(await exited, 'SIGKILL')

  izly.setLatency(0)
  // A fresh worker: it finds the dead worker's job stalled once its lock lapses, and runs it again.
  await startTestGateway(t, { izlyEndpoint: izly.endpoint, prefix, role: 'worker', cleanup: false })
  await waitFor('the opposition', async () => {
    const view = await api.admin('GET', `/admin/v1/cards/${cardId}`)
    return view.body.downstreams.izly.inLine === true
  }, 30_000)
  t.match(izlyCard(izly, idZdc), { opposed: true, reason: 'DP' })
  await driveToRest(api)
  t.equal(callsFor(izly, 'OpposeSmartCard', idZdc).length, 1, 'the card was opposed by exactly one call; any replay found it already opposed')
  t.equal((await api.admin('GET', '/admin/v1/attention')).body.count, 0)
})
