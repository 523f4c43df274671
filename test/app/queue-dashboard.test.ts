// The BullMQ dashboard at /admin/queues, through a real gateway: closed without an admin token, open to a
// bearer token or to HTTP Basic with the token as password, and showing the gateway's own queues and jobs.
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { jobIdFor } from '../../src/queue/lanes.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { startTestGateway, TEST_ADMIN_TOKEN, type TestGateway } from '../helpers/gateway.ts'
import { izlyCard, seedCard, testIzly } from '../helpers/izly.ts'
import { waitFor } from '../helpers/wait.ts'

const BASE = '/admin/queues'
const CHALLENGE = 'Basic realm="leocarte-admin"'

function basic (user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
}

async function get (gateway: TestGateway, url: string, authorization?: string): Promise<LightMyRequestResponse> {
  return await gateway.app.inject({ method: 'GET', url, headers: authorization === undefined ? {} : { authorization } })
}

/** The dashboard's own JSON API, with the admin token. */
async function api (gateway: TestGateway, method: 'GET' | 'PUT' | 'POST' | 'PATCH', path: string, payload?: unknown): Promise<{ status: number, body: any }> {
  const response = await gateway.app.inject({
    method,
    url: `${BASE}/api${path}`,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  })
  return { status: response.statusCode, body: response.body === '' ? undefined : response.json() }
}

/** The jobs of one queue as the dashboard lists them (every state). */
async function listedJobs (gateway: TestGateway, queueName: string): Promise<Array<{ id: string, data: unknown }>> {
  const { status, body } = await api(gateway, 'GET', `/queues?activeQueue=${queueName}&status=latest&page=1&jobsPerPage=50`)
  if (status !== 200) throw new Error(`dashboard API answered ${status}`)
  return body.queues.find((queue: { name: string }) => queue.name === queueName)?.jobs ?? []
}

t.test('the dashboard refuses requests without a valid admin token, with a Basic challenge', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url })

  const refusals: Array<[string, string | undefined, string]> = [
    ['no credentials', undefined, BASE],
    ['a wrong bearer token', `Bearer ${TEST_ADMIN_TOKEN}x`, BASE],
    ['a wrong Basic password', basic('admin', `${TEST_ADMIN_TOKEN}x`), BASE],
    ['the token as Basic user name, not password', basic(TEST_ADMIN_TOKEN, 'nope'), BASE],
    ['Basic without a colon', `Basic ${Buffer.from(TEST_ADMIN_TOKEN).toString('base64')}`, BASE],
    ['another scheme', `Token ${TEST_ADMIN_TOKEN}`, BASE],
    ['no credentials, on the JSON API', undefined, `${BASE}/api/queues`],
    ['no credentials, on a page of the UI', undefined, `${BASE}/queue/izly-oppose`],
    ['no credentials, on a static asset', undefined, `${BASE}/static/images/logo.svg`],
  ]
  for (const [what, authorization, url] of refusals) {
    const response = await get(gateway, url, authorization)
    t.equal(response.statusCode, 401, what)
    t.equal(response.headers['www-authenticate'], CHALLENGE, `${what}: Basic challenge`)
    t.match(response.headers['content-type'], /^application\/problem\+json/, `${what}: problem+json`)
    t.match(response.json(), { status: 401, type: /\/admin-unauthorized$/ }, `${what}: problem body`)
  }
})

t.test('with no ADMIN_TOKENS the dashboard is closed to everyone', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, extra: { ADMIN_TOKENS: '' } })
  for (const authorization of [undefined, 'Bearer ', basic('admin', ''), basic('admin', TEST_ADMIN_TOKEN)]) {
    const response = await get(gateway, BASE, authorization)
    t.equal(response.statusCode, 401, String(authorization))
    t.equal(response.headers['www-authenticate'], CHALLENGE)
  }
})

t.test('the dashboard opens with a bearer token or HTTP Basic, without taking over the app', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url })

  for (const [what, authorization] of [
    ['bearer', `Bearer ${TEST_ADMIN_TOKEN}`],
    ['Basic, any user name', basic('operator', TEST_ADMIN_TOKEN)],
    ['Basic, empty user name', basic('', TEST_ADMIN_TOKEN)],
    ['lower-case scheme', `bearer ${TEST_ADMIN_TOKEN}`],
  ] as const) {
    const page = await get(gateway, BASE, authorization)
    t.equal(page.statusCode, 200, what)
    t.match(page.headers['content-type'], /^text\/html/, `${what}: HTML`)
    t.match(page.body, /<base href="\/admin\/queues\/"/, `${what}: the UI knows where it lives`)
  }
  const page = await get(gateway, `${BASE}/`, basic('operator', TEST_ADMIN_TOKEN))
  t.equal(page.statusCode, 200, 'with a trailing slash too')
  t.equal((await get(gateway, `${BASE}/queue/izly-oppose`, basic('operator', TEST_ADMIN_TOKEN))).statusCode, 200, 'a page of the UI')

  const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(page.body)?.[1]
  t.ok(script, 'the page loads its script')
  const asset = await get(gateway, `${BASE}/${script ?? ''}`, basic('operator', TEST_ADMIN_TOKEN))
  t.equal(asset.statusCode, 200, 'the UI assets are served')
  t.match(asset.headers['content-type'], /javascript/)

  for (const url of [`${BASE}/static/no-such-file.js`, `${BASE}/no/such/page`, '/no-such-route']) {
    const missing = await get(gateway, url, `Bearer ${TEST_ADMIN_TOKEN}`)
    t.equal(missing.statusCode, 404, url)
    t.match(missing.headers['content-type'], /^application\/problem\+json/, `${url}: the app's not-found handler answers`)
  }
  // The admin API keeps its bearer-only scheme, and the SGC intake its raw-body parser.
  t.equal((await get(gateway, '/admin/v1/queues', basic('operator', TEST_ADMIN_TOKEN))).statusCode, 401)
  t.equal((await get(gateway, '/admin/v1/queues', `Bearer ${TEST_ADMIN_TOKEN}`)).statusCode, 200)
  t.equal((await gateway.post(cardEvent({ state: 'ENABLED' }))).status, 202)
  const docs = await get(gateway, '/docs/static/swagger-ui-bundle.js')
  t.equal(docs.statusCode, 200, 'the /docs UI still serves its own assets')
})

t.test('the dashboard API lists the gateway queues and a job waiting out an Izly outage', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url })

  const queues = await api(gateway, 'GET', '/queues')
  t.equal(queues.status, 200)
  t.same(queues.body.queues.map((queue: { name: string }) => queue.name).sort(), ['izly-enable', 'izly-oppose'])

  izly.setOutage('http503')
  const disabled = cardEvent({ state: 'DISABLED', disableReason: 'LOST' })
  seedCard(izly, disabled)
  t.equal((await gateway.post(disabled)).status, 202)
  const cardId = disabled.card.id
  const jobId = jobIdFor(cardId)

  const listed = await waitFor('the job in the dashboard', async () => (await listedJobs(gateway, 'izly-oppose')).find((job) => job.id === jobId))
  t.same(listed.data, { cardId }, 'the job carries the card id only')
  const job = await waitFor('a failed attempt', async () => {
    const { status, body } = await api(gateway, 'GET', `/queues/izly-oppose/${encodeURIComponent(jobId)}`)
    return status === 200 && body.job.attempts > 0 ? body.job : undefined
  })
  t.match(job, { id: jobId, data: { cardId } })
  t.same(await listedJobs(gateway, 'izly-enable'), [], 'nothing in the enablement lane')

  izly.setOutage('off')
  await waitFor('the opposition', () => izlyCard(izly, disabled.card.crous?.idZdc as string)?.opposed === true)
})

t.test('a job removed from the dashboard is re-enqueued by the sweeper; adding or editing jobs is refused', async (t) => {
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url })
  const opposer = gateway.workers.find((worker) => worker.name === 'izly-oppose')
  const sweeper = gateway.sweeper
  if (opposer === undefined || sweeper === undefined) throw new Error('no izly-oppose worker or no sweeper')
  await opposer.pause()
  // The sweeper's passes are run by hand below, so that what brings the card back is seen.
  await sweeper.stop()

  const disabled = cardEvent({ state: 'DISABLED', disableReason: 'THEFT' })
  seedCard(izly, disabled)
  t.equal((await gateway.post(disabled)).status, 202)
  const cardId = disabled.card.id
  const jobId = jobIdFor(cardId)
  await waitFor('the waiting job', async () => (await listedJobs(gateway, 'izly-oppose')).some((job) => job.id === jobId))

  t.equal((await api(gateway, 'POST', '/queues/izly-oppose/add', { name: 'sync', data: { cardId: 'x', firstName: 'Camille' }, options: {} })).status, 403, 'adding a job is refused')
  t.equal((await api(gateway, 'PATCH', `/queues/izly-oppose/${encodeURIComponent(jobId)}/update-data`, { jobData: { cardId: 'other' } })).status, 403, 'editing job data is refused')

  const removed = await api(gateway, 'PUT', `/queues/izly-oppose/${encodeURIComponent(jobId)}/clean`)
  t.equal(removed.status, 204, 'the job is removed')
  t.equal(await gateway.queues.queue('izly', 'oppose').getJobState(jobId), 'unknown')
  t.notOk((await listedJobs(gateway, 'izly-oppose')).some((job) => job.id === jobId), 'gone from the dashboard')

  // The card is still behind and dirty, with no job in flight: a sweep re-enqueues it.
  await waitFor('a sweep that re-enqueues the card', async () => await sweeper.sweep() === 1)
  t.equal(await gateway.queues.queue('izly', 'oppose').getJobState(jobId), 'waiting')
  await opposer.resume()
  await waitFor('the opposition', () => izlyCard(izly, disabled.card.crous?.idZdc as string)?.opposed === true)
  t.equal(izlyCard(izly, disabled.card.crous?.idZdc as string)?.reason, 'DV', 'opposed with the right reason')
})
