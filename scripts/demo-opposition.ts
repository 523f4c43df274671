// Posts a signed ENABLED then DISABLED/LOST event to the gateway started by `npm start`, and shows
// what the Izly and ESC Router simulators received and what the CROUS validity service answers.
// Reads the addresses (and the secrets the demo generated) from LEOCARTE_DEMO, which `npm start` prints;
// secrets you configured yourself are taken from SGC_HMAC_SECRETS, ADMIN_TOKENS and CROUS_API_KEYS.
import { type DemoInfo, demoInfoOrExit } from '../src/app/demo.ts'
import { signBody } from '../src/intake/signature.ts'

function readDemo (): Required<Omit<DemoInfo, 'crousClientId' | 'crousClientSecret'>> {
  const info = demoInfoOrExit()
  const first = (name: string): string => (process.env[name] ?? '').split(',')[0]?.trim() ?? ''
  return {
    ...info,
    secret: info.secret ?? first('SGC_HMAC_SECRETS'),
    adminToken: info.adminToken ?? first('ADMIN_TOKENS'),
    crousApiKey: info.crousApiKey ?? first('CROUS_API_KEYS'),
  }
}

const demo = readDemo()

const cardId = `demo-${Date.now()}`
const csn = Date.now().toString(16).toUpperCase().padStart(14, '0').slice(-14)
const idZdc = String(Date.now()).slice(-13)
// An ESCN minted for the demo router's PIC (999999999): a version-1 UUID whose node is prefix + PIC.
const escn = `${Date.now().toString(16).slice(-8).padStart(8, '0')}-0000-1000-8000-001999999999`
const card = {
  id: cardId,
  csn,
  escn,
  expiresAt: '2027-08-31',
  crous: { idZdc, idTransmitter: 65, idMapping: 1, zdcCreationDate: '2026-09-01T00:00:00.000Z', pixSs: '03', pixNn: '0000', appl: 'D1', rid: '0A1B2C3D' },
}
const holder = {
  eppn: `${cardId}@univ-rouen.fr`,
  firstName: 'Camille',
  lastName: 'Martin',
  email: 'camille.martin@etu.univ-rouen.fr',
  dueDate: '2027-08-31T00:00:00Z',
  idCompanyRate: 10,
  idRate: 1,
  ine: '0123456789A',
  consents: { crous: true, esc: true },
}

async function post (event: unknown): Promise<void> {
  const body = JSON.stringify(event)
  const response = await fetch(`${demo.gatewayUrl}/sgc/v1/card-events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': signBody(demo.secret, body) },
    body,
  })
  process.stdout.write(`POST /sgc/v1/card-events ${(event as { card: { state: string } }).card.state} -> ${response.status} ${await response.text()}\n`)
}

interface Call { operation: string, idZdc?: string, reason?: string, result?: string }

async function izlyCalls (): Promise<Call[]> {
  const response = await fetch(`${demo.izlyControlUrl}/calls`)
  const body = await response.json() as { calls: Call[] }
  return body.calls.filter((call) => call.idZdc === idZdc)
}

async function waitForCall (operation: string): Promise<Call> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    const call = (await izlyCalls()).find((c) => c.operation === operation)
    if (call !== undefined) return call
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`the Izly simulator did not receive ${operation} within 15 s`)
}

await post({ eventId: `${cardId}-enabled`, occurredAt: new Date().toISOString(), card: { ...card, state: 'ENABLED' }, holder })
const registered = await waitForCall('RegisterSmartCard')
process.stdout.write(`Izly simulator received RegisterSmartCard for idZdc ${registered.idZdc}\n`)

await post({ eventId: `${cardId}-disabled`, occurredAt: new Date().toISOString(), card: { id: cardId, state: 'DISABLED', disableReason: 'LOST' }, holder: { eppn: holder.eppn, consents: holder.consents } })
const opposed = await waitForCall('OpposeSmartCard')
process.stdout.write(`Izly simulator received OpposeSmartCard for idZdc ${opposed.idZdc} with reason ${opposed.reason ?? '?'}\n`)

const escCalls = await (await fetch(`${demo.escControlUrl}/calls`)).json() as { calls: Array<{ method: string, operation: string, httpStatus: number, escn?: string, cardStatusType?: string }> }
process.stdout.write('\nESC Router simulator received:\n')
for (const call of escCalls.calls.filter((c) => c.escn === escn || c.escn === undefined)) {
  process.stdout.write(`  ${call.method} ${call.operation} -> ${call.httpStatus}${call.cardStatusType !== undefined ? ` (${call.cardStatusType})` : ''}\n`)
}

const validity = await fetch(`${demo.gatewayUrl}/crous/v1/cards/${csn}/validity`, { headers: { 'x-api-key': demo.crousApiKey } })
process.stdout.write(`\nGET /crous/v1/cards/${csn}/validity -> ${validity.status} ${await validity.text()}\n`)

const view = await fetch(`${demo.gatewayUrl}/admin/v1/cards/${cardId}/timeline`, { headers: { authorization: `Bearer ${demo.adminToken}` } })
process.stdout.write(`\nTimeline of ${cardId} (GET /admin/v1/cards/${cardId}/timeline):\n`)
for (const entry of (await view.json() as { entries: unknown[] }).entries) process.stdout.write(`  ${JSON.stringify(entry)}\n`)
