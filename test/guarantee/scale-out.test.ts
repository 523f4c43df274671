// Scale-out drill: two API processes and three worker processes on one Redis share the work. A worker
// is SIGKILLed while its Izly calls hang; every opposition and every enablement still takes effect at
// Izly exactly once, whichever API took the event and whichever worker ran the job.
import t from 'tap'
import type { CardEvent } from '../../src/domain/card-event.ts'
import { signBody } from '../../src/intake/signature.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { type ChildGateway, startChildGateway } from '../helpers/child-gateway.ts'
import { startTestGateway, TEST_ADMIN_TOKEN, TEST_SECRET, testEnv } from '../helpers/gateway.ts'
import { callsFor, izlyCard, seedCard, testIzly } from '../helpers/izly.ts'
import { uniquePrefix } from '../helpers/redis.ts'
import { waitFor } from '../helpers/wait.ts'

const PER_WAVE = 20

async function post (api: ChildGateway, event: CardEvent): Promise<number> {
  const body = JSON.stringify(event)
  const response = await fetch(`${api.url}/sgc/v1/card-events`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-signature': signBody(TEST_SECRET, body) } })
  return response.status
}

t.test('2 APIs and 3 workers on one Redis, one worker killed mid-run: nothing lost, nothing done twice', async (t) => {
  const izly = await testIzly(t)
  const prefix = uniquePrefix()
  const env = (role: string, extra: Record<string, string> = {}): Record<string, string> => testEnv({ izlyEndpoint: izly.url, prefix, role, extra })
  // In-process, only to read the shared queues and registry; it runs no worker and takes no event.
  const observer = await startTestGateway(t, { izlyEndpoint: izly.url, prefix, role: 'api' })
  const apis = await Promise.all([startChildGateway(t, env('api')), startChildGateway(t, env('api'))])
  const doomed = await startChildGateway(t, env('worker'))

  const oppositions: CardEvent[] = []
  const enablements: CardEvent[] = []
  const wave = async (): Promise<void> => {
    const events: CardEvent[] = []
    for (let index = 0; index < PER_WAVE; index++) {
      const registered = cardEvent({ state: 'ENABLED' })
      seedCard(izly, registered)
      const opposition = cardEvent({ cardId: registered.card.id, state: 'DISABLED', disableReason: 'LOST' })
      const enablement = cardEvent({ state: 'ENABLED' })
      oppositions.push(opposition)
      enablements.push(enablement)
      events.push(opposition, enablement)
    }
    // Alternating APIs, all at once.
    const statuses = await Promise.all(events.map(async (event, index) => await post(apis[index % 2] as ChildGateway, event)))
    t.same(new Set(statuses), new Set([202]), `${events.length} events accepted by the two APIs`)
  }

  // Wave 1 meets one worker whose Izly calls hang: it is killed with jobs in its hands.
  izly.setLatency(60_000)
  await wave()
  const active = async (): Promise<number> => (await observer.queues.queue('izly', 'oppose').getActiveCount()) + (await observer.queues.queue('izly', 'enable').getActiveCount())
  await waitFor('the first worker to hold jobs', async () => await active() > 0)
  const held = await active()
  doomed.process.kill('SIGKILL')
  t.match(await doomed.exited, { signal: 'SIGKILL' })
  izly.setLatency(20)

  // Three fresh workers take over (the dead one's jobs once their lock lapses); wave 2 comes in meanwhile.
  const workers = await Promise.all([startChildGateway(t, env('worker')), startChildGateway(t, env('worker')), startChildGateway(t, env('worker'))])
  await wave()

  // Rest: every card confirmed in its state, no job left anywhere.
  const inLine = async (event: CardEvent): Promise<boolean> => {
    const response = await fetch(`${apis[0]?.url ?? ''}/admin/v1/cards/${encodeURIComponent(event.card.id)}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })
    return response.status === 200 && (await response.json() as { downstreams: { izly: { inLine: boolean } } }).downstreams.izly.inLine
  }
  await waitFor('every card in line', async () => (await Promise.all([...oppositions, ...enablements].map(inLine))).every(Boolean), 60_000, 250)
  await waitFor('no job left', async () => {
    const counts = await observer.queues.jobCounts()
    return Object.values(counts).every((byState) => Object.values(byState).every((count) => count === 0))
  })

  for (const event of oppositions) {
    const idZdc = event.card.crous?.idZdc as string
    t.match(izlyCard(izly, idZdc), { opposed: true, reason: 'DP' })
    t.equal(callsFor(izly, 'OpposeSmartCard', idZdc).filter((call) => call.result === 'OPPOSED').length, 1, `${event.card.id} opposed once`)
  }
  for (const event of enablements) {
    const idZdc = event.card.crous?.idZdc as string
    t.match(izlyCard(izly, idZdc), { opposed: false })
    t.equal(callsFor(izly, 'RegisterSmartCard', idZdc).filter((call) => call.result === 'REGISTERED').length, 1, `${event.card.id} registered once`)
  }
  t.ok(workers.some((worker) => worker.lines.some((line) => /^job stalled/.test(line.msg))), `the ${held} job(s) the killed worker held were recovered as stalled`)
  t.equal((await observer.admin('GET', '/admin/v1/attention')).body.count, 0, 'nothing needs attention')
})
