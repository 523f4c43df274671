// Replays what an unmodified ESUP-SGC sends API CROUS when a card is disabled (esup-sgc-dropin.md §2.3:
// token, C1, C3, C8 with reason DP), against the API CROUS façade of the gateway started by `npm start`,
// first with the Izly simulator down (refused connections), then up: every answer comes at once and lets
// ESUP-SGC commit; the opposition reaches Izly once it is back. Reads LEOCARTE_DEMO, which `npm start` prints;
// a client you configured yourself is taken from SGC_CROUS_CLIENTS.
import { demoInfoOrExit } from '../src/app/demo.ts'

const demo = demoInfoOrExit()
const [configuredId, configuredSecret] = ((process.env.SGC_CROUS_CLIENTS ?? '').split(',')[0] ?? '').split(/:(.*)/s)
const clientId = demo.crousClientId ?? configuredId ?? ''
const clientSecret = demo.crousClientSecret ?? configuredSecret ?? ''
const base = `${demo.gatewayUrl}/api-crous`
const izly = demo.izlyControlUrl

const stamp = Date.now()
const eppn = `esup-demo-${stamp}@univ-rouen.fr`
const idZdc = String(stamp).slice(-12)
const csn = stamp.toString(16).toUpperCase().padStart(14, '0').slice(-14)
/** ESUP-SGC's timestamps: its JVM's local wall clock with a literal Z (here, this machine's zone). */
const localZ = (offsetMs = 0): string => {
  const date = new Date(Date.now() + offsetMs)
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString()
}

async function control (method: string, path: string, body?: unknown): Promise<void> {
  await fetch(`${izly}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
}

let token = ''
async function authenticate (): Promise<void> {
  const started = Date.now()
  const response = await fetch(`${base}/api/oauth/token?grant_type=client_credentials`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`, 'user-agent': 'ESUP-SGC/3.5.1' } })
  const body = await response.json() as { access_token?: string }
  token = body.access_token ?? ''
  process.stdout.write(`  POST /api-crous/api/oauth/token -> ${response.status} (${Date.now() - started} ms)\n`)
}

async function call (name: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<unknown> {
  const started = Date.now()
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { accept: 'application/json', 'content-type': 'application/json', 'user-agent': 'ESUP-SGC/3.5.1', authorization: `Bearer ${token}`, ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  process.stdout.write(`  ${name} ${method} /api-crous${path} -> ${response.status} (${Date.now() - started} ms)${text === '' ? '' : ` ${text.slice(0, 160)}`}\n`)
  return text === '' ? undefined : JSON.parse(text)
}

// A card ESUP-SGC registered at CROUS before the gateway was plugged in.
await control('PUT', `/cards/${idZdc}`, { owner: eppn, smartCard: { idZdc, uid: csn, idTransmitter: 65, idMapping: 1, zdcCreationDate: '2026-08-31T22:00:00.000Z' } })
const rightHolder = { identifier: eppn, firstName: 'Camille', lastName: 'Martin', email: 'camille.martin@univ-rouen.fr', dueDate: localZ(365 * 86_400_000), idCompanyRate: 2, idRate: 11, simpleBirthDate: '1990-02-03', ine: null, rneOrgCode: '0761904G', accountStatus: null, blockingStatus: null }

process.stdout.write('\nIzly simulator DOWN (connections dropped). ESUP-SGC disables the card (motif LOST):\n')
await control('PUT', '/outage', { mode: 'reset' })
await authenticate()
await call('C1', 'GET', `/beforeizly/v1/rightholders/${eppn}`)
await call('C3', 'PUT', `/beforeizly/v1/rightholders/${eppn}`, rightHolder)
await call('C8', 'PATCH', `/beforeizly/v1/rightholders/${eppn}/smartcard/${idZdc}`, { reason: 'DP', revalidationDate: '', cancelDate: localZ() }, { uid: csn })
process.stdout.write('  -> ESUP-SGC commits DISABLED; the gateway owes the opposition to CROUS.\n')

await new Promise((resolve) => setTimeout(resolve, 1500))
process.stdout.write('\nIzly simulator UP again:\n')
await control('PUT', '/outage', { mode: 'off' })
const deadline = Date.now() + 30_000
for (;;) {
  const calls = (await (await fetch(`${izly}/calls`)).json() as { calls: Array<{ operation: string, idZdc?: string, reason?: string, uid?: string, httpStatus: number }> }).calls
  const done = calls.find((c) => c.operation === 'OpposeSmartCard' && c.idZdc === idZdc && c.httpStatus < 300)
  if (done !== undefined) {
    process.stdout.write(`  Izly simulator received OpposeSmartCard for idZdc ${idZdc} with reason ${done.reason ?? '?'}${done.uid === undefined ? '' : ` and uid ${done.uid}`}\n`)
    break
  }
  if (Date.now() > deadline) {
    process.stderr.write('the opposition did not reach the Izly simulator within 30 s\n')
    process.exit(1)
  }
  await new Promise((resolve) => setTimeout(resolve, 200))
}
