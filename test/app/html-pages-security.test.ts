// The gateway's HTML pages (the queue dashboard, which acts on jobs with browser-cached admin
// credentials, and the OpenAPI UI) cannot be framed, sniffed or made to call out: security headers on
// each, a CSP allowing this gateway alone, and nothing they load comes from another host. Checked on the
// wire, then in a real browser (Debian's chromium, driven by playwright-core).
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { waitFor } from '../helpers/wait.ts'
import { launchChromium } from '../helpers/chromium.ts'
import { startTestGateway, TEST_ADMIN_TOKEN, type TestGateway } from '../helpers/gateway.ts'

const ADMIN = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }

/** Follows the docs UI's redirect (if any) to its page. */
async function page (gateway: TestGateway, url: string, headers: Record<string, string> = {}): Promise<{ url: string, status: number, headers: Record<string, unknown>, body: string }> {
  let response = await gateway.app.inject({ method: 'GET', url, headers })
  let at = url
  if (response.statusCode >= 300 && response.statusCode < 400) {
    at = new URL(String(response.headers.location), `http://localhost${url}`).pathname
    response = await gateway.app.inject({ method: 'GET', url: at, headers })
  }
  return { url: at, status: response.statusCode, headers: response.headers, body: response.body }
}

/** Every URL a page names in src/href attributes and CSS url()/@import. */
function referencedUrls (text: string): string[] {
  const found: string[] = []
  for (const match of text.matchAll(/\b(?:src|href)\s*=\s*["']([^"']+)["']/gi)) found.push(match[1] as string)
  for (const match of text.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)|@import\s+["']([^"']+)["']/gi)) found.push((match[1] ?? match[2]) as string)
  return found
}

function isExternal (reference: string): boolean {
  return /^(?:[a-z][a-z0-9+.-]*:)?\/\//i.test(reference) && !/^data:/i.test(reference)
}

t.test('every HTML page carries the security headers and names no other host', async (t) => {
  const gateway = await startTestGateway(t, { izlyEndpoint: 'http://127.0.0.1:9/izly', role: 'api' })
  for (const [name, url, headers] of [['the queue dashboard', '/admin/queues', ADMIN], ['a dashboard page', '/admin/queues/queue/izly-oppose', ADMIN], ['the OpenAPI UI', '/docs', {}]] as const) {
    const html = await page(gateway, url, headers)
    t.equal(html.status, 200, `${name}: served`)
    t.match(html.headers['content-type'], /^text\/html/)
    const csp = String(html.headers['content-security-policy'] ?? '')
    t.match(csp, /default-src 'self'/, `${name}: a CSP`)
    t.match(csp, /frame-ancestors 'none'/, `${name}: may not be framed (CSP)`)
    t.equal(html.headers['x-frame-options'], 'DENY', `${name}: may not be framed (X-Frame-Options)`)
    t.equal(html.headers['x-content-type-options'], 'nosniff', `${name}: nosniff`)
    t.equal(html.headers['referrer-policy'], 'no-referrer', `${name}: no referrer`)
    t.notMatch(csp, /https?:|\*/, `${name}: the CSP allows no other origin`)
    t.same(referencedUrls(html.body).filter(isExternal), [], `${name}: nothing on another host`)
    // Every stylesheet it loads is served here and names no other host either.
    const base = /<base href="([^"]+)"/.exec(html.body)?.[1] ?? html.url
    for (const reference of referencedUrls(html.body).filter((ref) => /\.css(?:\?|$)/.test(ref))) {
      const css = await gateway.app.inject({ method: 'GET', url: new URL(reference, `http://localhost${base}`).pathname, headers })
      t.equal(css.statusCode, 200, `${name}: ${reference} is served`)
      t.same(referencedUrls(css.body).filter(isExternal), [], `${name}: ${reference} names no other host`)
    }
  }
  const json = await gateway.app.inject({ method: 'GET', url: '/health/live' })
  t.equal(json.headers['x-content-type-options'], 'nosniff', 'every answer says nosniff')
})

t.test('in a browser, the pages render under their CSP and load nothing from another host', async (t) => {
  t.setTimeout(60_000)
  const gateway = await startTestGateway(t, { izlyEndpoint: 'http://127.0.0.1:9/izly', role: 'api', listen: true })
  const origin = gateway.url as string
  // A fresh profile (--user-data-dir) for every run.
  const context = await launchChromium(t, { httpCredentials: { username: 'operator', password: TEST_ADMIN_TOKEN } })
  const tab = await context.newPage()
  const requested: string[] = []
  const violations: string[] = []
  tab.on('request', (request) => requested.push(request.url()))
  tab.on('console', (message) => { if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text()) })

  await tab.goto(`${origin}/admin/queues`)
  await tab.getByText('izly-oppose').first().waitFor()
  t.pass('the dashboard rendered its queues')
  await tab.goto(`${origin}/docs`)
  await tab.getByText('Léocarte interoperability gateway').first().waitFor()
  t.pass('the OpenAPI UI rendered the gateway\'s document')

  t.ok(requested.length > 5, `${requested.length} requests made by the two pages`)
  t.same(requested.filter((url) => !url.startsWith(origin) && !url.startsWith('data:')), [], 'every one of them to the gateway')
  t.same(violations, [], 'nothing the pages need is blocked by their CSP')

  // Framed by a page of another origin, the dashboard is not loaded: the browser shows its error page instead.
  const other = createServer((_request, response) => { response.writeHead(200, { 'content-type': 'text/html' }).end(`<iframe src="${origin}/admin/queues"></iframe>`) })
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => await new Promise<void>((resolve) => { other.closeAllConnections(); other.close(() => resolve()) }))
  const framing = await context.newPage()
  const blocked = new Promise<string>((resolve) => framing.on('console', (message) => { if (/frame-ancestors/.test(message.text())) resolve(message.text()) }))
  await framing.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`)
  t.match(await blocked, /violates the following Content Security Policy directive: "frame-ancestors 'none'"/, 'the browser refused to frame the dashboard')
  // The CSP report can come before the frame has navigated to the error page: wait for that, not a fixed time.
  t.ok(await waitFor('the error page in the frame', () => framing.frames().some((frame) => frame.url().startsWith('chrome-error:'))), 'and shows its error page in the frame')
})
