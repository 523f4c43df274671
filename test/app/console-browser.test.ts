// The operators' console, on the wire (its strict CSP and security headers on every file, nothing from
// another host, no token in a cookie) and in a real browser (Debian's chromium through playwright-core):
// log in, find a card by CSN, read its summary and timeline, replay an attention entry and see it leave
// the list. A screenshot is kept in test-artifacts/console.png.
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { CONSOLE_CONTENT_SECURITY_POLICY } from '../../src/app/console/console-routes.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { launchChromium } from '../helpers/chromium.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { izlyCard, seedCard, testIzly } from '../helpers/izly.ts'
import { waitFor } from '../helpers/wait.ts'

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url))
const TOKEN = 'console-operator-token-0123456789'

t.test('every console file carries the strict policy and the security headers, and names no other host', async (t) => {
  const gateway = await startTestGateway(t, { izlyEndpoint: 'http://127.0.0.1:9/izly', role: 'api' })
  for (const [url, type] of [['/admin/console', /^text\/html/], ['/admin/console/console.js', /^text\/javascript/], ['/admin/console/console.css', /^text\/css/]] as const) {
    const response = await gateway.app.inject({ method: 'GET', url })
    t.equal(response.statusCode, 200, `${url}: served without a token (it holds no data)`)
    t.match(response.headers['content-type'], type)
    t.equal(response.headers['content-security-policy'], CONSOLE_CONTENT_SECURITY_POLICY, `${url}: the console's policy`)
    t.equal(response.headers['x-frame-options'], 'DENY')
    t.equal(response.headers['x-content-type-options'], 'nosniff')
    t.equal(response.headers['referrer-policy'], 'no-referrer')
    t.equal(response.headers['set-cookie'], undefined, 'no cookie')
    t.notMatch(response.body, /(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i, `${url}: nothing loaded from another host`)
    t.notMatch(response.body, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/, `${url}: no HTML sink`)
  }
  t.match(CONSOLE_CONTENT_SECURITY_POLICY, /default-src 'none'/)
  t.notMatch(CONSOLE_CONTENT_SECURITY_POLICY, /unsafe-|https?:|\*/, 'no inline script or style, no other origin')
  const html = (await gateway.app.inject({ method: 'GET', url: '/admin/console' })).body
  t.notMatch(html, /<script>|<style|\sstyle=|\son[a-z]+=/i, 'no inline script, style or handler')
})

t.test('in a browser: log in, find a card by CSN, its summary and timeline, replay an attention entry', async (t) => {
  t.setTimeout(90_000)
  const izly = await testIzly(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, listen: true, extra: { ADMIN_TOKENS: `carla:${TOKEN}` } })
  const origin = gateway.url as string

  // One card opposed in line; one whose opposition meets a permanent fault (needs attention).
  const enabled = cardEvent({ state: 'ENABLED' })
  const cardId = enabled.card.id
  t.equal((await gateway.post(enabled)).status, 202)
  await waitFor('registration', () => izlyCard(izly, enabled.card.crous?.idZdc as string)?.opposed === false)
  t.equal((await gateway.post(cardEvent({ cardId, state: 'DISABLED', disableReason: 'LOST' }))).status, 202)
  const stuck = cardEvent({ state: 'ENABLED' })
  seedCard(izly, stuck)
  const fault = izly.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 422, code: '-41', message: 'Compte en opposition', retryable: false, idZdc: stuck.card.crous?.idZdc as string })
  t.equal((await gateway.post(cardEvent({ cardId: stuck.card.id, state: 'DISABLED', disableReason: 'THEFT' }))).status, 202)
  const admin = async (url: string): Promise<any> => (await gateway.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } })).json()
  await waitFor('the opposition in line', async () => (await admin(`/admin/v1/cards/${cardId}`)).downstreams.izly.inLine === true)
  await waitFor('the attention entry', async () => (await admin('/admin/v1/attention')).count === 1)

  const context = await launchChromium(t)
  const tab = await context.newPage()
  const requested: string[] = []
  const violations: string[] = []
  tab.on('request', (request) => requested.push(request.url()))
  tab.on('console', (message) => { if (/Content Security Policy|Refused to|Trusted Type/i.test(message.text())) violations.push(message.text()) })
  tab.on('pageerror', (error) => violations.push(error.message))

  await tab.goto(`${origin}/admin/console`)
  await tab.locator('#token').fill('not-the-token-0123456789')
  await tab.locator('#login-form button[type=submit]').click()
  await tab.getByText('the token was refused').waitFor()
  t.ok(await tab.locator('#app').isHidden(), 'a wrong token does not log in')
  await tab.locator('#token').fill(TOKEN)
  await tab.locator('#login-form button[type=submit]').click()
  await tab.locator('#downstreams tbody tr', { hasText: 'izly' }).waitFor()
  t.pass('logged in: the overview per downstream')
  t.match(await tab.locator('#lanes tbody').textContent(), /izly-oppose.*izly-enable|izly-enable.*izly-oppose/s, 'the lanes\' depth')
  t.equal(await tab.locator('a[href="/admin/queues"]').count(), 1, 'a link to the queue dashboard')
  t.equal(await tab.context().cookies().then((cookies) => cookies.length), 0, 'no cookie set: the token is in sessionStorage only')

  // Find the opposed card by its CSN, in lower case as a reader might give it.
  await tab.locator('#search-kind').selectOption('csn')
  await tab.locator('#search-value').fill((enabled.card.csn as string).toLowerCase())
  await tab.locator('#search-form button[type=submit]').click()
  const card = tab.locator(`article.card[data-card-id="${cardId}"]`)
  await card.waitFor()
  t.match(await card.locator('.summary').textContent(), /izly: opposed at Izly since \d\d:\d\d, reason lost/, 'the summary answers the question')
  const timeline = await card.locator('.timeline').textContent() ?? ''
  t.match(timeline, /SGC DISABLED \(LOST\)/, 'the timeline shows the SGC events')
  t.match(timeline, /OpposeSmartCard/, 'and the Izly calls')

  // The stuck card's entry: the cause fixed at Izly, replayed, gone from the list.
  const entryRow = tab.locator(`#attention-list tr[data-card-id="${stuck.card.id}"]`)
  await entryRow.waitFor()
  t.match(await entryRow.textContent(), /-41/)
  await entryRow.locator('button.link').click()
  await tab.locator(`article.card[data-card-id="${stuck.card.id}"] .summary`, { hasText: 'needs attention: -41' }).waitFor()
  t.pass('the entry opens its card, whose summary says what is wrong')
  mkdirSync(ARTIFACTS, { recursive: true })
  await tab.screenshot({ path: `${ARTIFACTS}console.png`, fullPage: true })

  t.ok(izly.removeFault(fault.id), 'the cause fixed at Izly')
  await entryRow.getByRole('button', { name: 'Replay' }).click()
  await tab.getByText(`Replayed ${stuck.card.id} at izly.`).waitFor()
  await entryRow.waitFor({ state: 'detached' })
  t.pass('the replayed entry left the list')
  t.match(await tab.locator('#attention-count').textContent(), /^0 entries match\.$/)
  await waitFor('the replayed opposition at Izly', () => izlyCard(izly, stuck.card.crous?.idZdc as string)?.opposed === true)
  t.match((await admin(`/admin/v1/cards/${stuck.card.id}/timeline`)).entries.filter((entry: { type: string }) => entry.type === 'replay'), [{ operator: 'carla' }], 'the replay is recorded under the operator\'s name')

  t.same(requested.filter((url) => !url.startsWith(origin)), [], 'every request to the gateway')
  t.same(violations, [], 'nothing blocked by the CSP or Trusted Types, no script error')
})
