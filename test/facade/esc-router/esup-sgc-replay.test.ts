// ESUP-SGC replay through the ESC Router façade: every ESC flow of esup-sgc-dropin.md §3 (enable,
// disable, CADUC, opt-out), as data in test/fixtures/esup-sgc/flows/esc/, sent as ApiEscService sends
// it, with the real router (the ESC simulator) up, down (refused connections), slow (past
// FACADE_READ_DEADLINE_MS) and answering each error class of esc-router.md. Every façade answer must let
// ESUP-SGC commit and go on, match the router's document, and the router must end with the right calls.
import t, { type Test } from 'tap'
import { esiFromIne } from '../../../src/domain/esc-identifiers.ts'
import { escCalls, escCard, escnOf, hasEscPerson, ineOf, TEST_ESC_TOKEN, TEST_PIC, testEsc, type TestEsc } from '../../helpers/esc.ts'
import { type EscFlow, type FlowVariables, loadEscFlows, replayFlow } from '../../helpers/esup-sgc-esc.ts'
import { startTestGateway, type TestGateway } from '../../helpers/gateway.ts'
import { testIzly } from '../../helpers/izly.ts'
import { tcpSwitch, type TcpSwitch } from '../../helpers/tcp-switch.ts'
import { waitFor } from '../../helpers/wait.ts'

const KEY = 'esc-facade-test-key-0123456789'
const OLD_KEY = 'esc-facade-old-key-0123456789'
const DEADLINE_MS = 200

interface Condition {
  name: string
  /** Before the flow's calls. */
  apply (esc: TestEsc, router: TcpSwitch): Promise<void> | void
  /** After the flow's answers were checked: the router comes back. */
  restore (esc: TestEsc, router: TcpSwitch): Promise<void> | void
}

const fault = (httpStatus: number, code: string, times: number, operation = '*'): Condition => ({
  name: `answering ${httpStatus} ${code}${operation === '*' ? '' : ` to ${operation}`}`,
  apply: (esc) => { esc.scriptFault({ operation, httpStatus, code, message: `simulated ${httpStatus}`, times }) },
  restore: () => {},
})

const CONDITIONS: Condition[] = [
  { name: 'up', apply: () => {}, restore: () => {} },
  { name: 'down (connections refused)', apply: async (_esc, router) => { await router.down() }, restore: async (_esc, router) => { await router.up() } },
  { name: 'slow (past the read deadline)', apply: (esc) => { esc.setLatency(DEADLINE_MS * 3) }, restore: (esc) => { esc.setLatency(0) } },
  { name: 'answering 503 pages', apply: (esc) => { esc.setOutage('http503') }, restore: (esc) => { esc.setOutage('off') } },
  { name: 'answering 200 maintenance pages', apply: (esc) => { esc.setOutage('page200') }, restore: (esc) => { esc.setOutage('off') } },
  { name: 'resetting connections', apply: (esc) => { esc.setOutage('reset') }, restore: (esc) => { esc.setOutage('off') } },
  fault(500, 'SIM-0500', 3),
  fault(429, 'SIM-0429', 3),
  fault(400, 'SIM-0400', 2),
  fault(401, 'SE-0000', 2),
  fault(403, 'SE-0000', 2),
  // A 404 on a DELETE is "already gone" to any client, the gateway's lane too: a lie the router never tells
  // about a card it holds. The 404 that matters to the façade is the person lookup's.
  fault(404, 'SIM-0404', 2, 'findByExternalId'),
  fault(409, 'SIM-0409', 2),
]

const flows = loadEscFlows()
let scenario = 0

function variables (seed: string): FlowVariables {
  return {
    esi: esiFromIne(ineOf(seed)),
    escn: escnOf(seed),
    pic: TEST_PIC,
    fullName: 'Camille Martin-Lefèvre',
    email: `${seed}@etu.example.fr`,
    issuedAt: '2026-09-01',
    expiresAt: '2030-08-31',
  }
}

function routerMatches (esc: TestEsc, flow: EscFlow, vars: FlowVariables): boolean {
  const card = escCard(esc, vars.escn)
  const cardOk = flow.expect.card === 'absent' ? card === undefined : card?.status === flow.expect.card
  return cardOk && hasEscPerson(esc, vars.esi) === flow.expect.person
}

/** Waits for the router to match, replaying what needs an operator (a permanent answer) as one would. */
async function driveToRouter (gateway: TestGateway, esc: TestEsc, flow: EscFlow, vars: FlowVariables): Promise<void> {
  await waitFor(`the router to end as ${flow.flow} wants`, async () => {
    if (routerMatches(esc, flow, vars)) return true
    const attention = await gateway.admin('GET', '/admin/v1/attention?downstream=esc')
    for (const entry of attention.body.entries as Array<{ cardId: string }>) {
      await gateway.admin('POST', `/admin/v1/attention/esc/${encodeURIComponent(entry.cardId)}/replay`)
    }
    return false
  }, 30_000, 50)
}

async function escInLine (gateway: TestGateway, escn: string): Promise<void> {
  await waitFor('the gateway to have confirmed the router\'s answers', async () => {
    const record = await gateway.registry.findCard('escn', escn)
    if (record === undefined) return false
    const view = await gateway.admin('GET', `/admin/v1/cards/${encodeURIComponent(record.card.id)}`)
    return view.body?.downstreams?.esc?.inLine === true
  })
}

async function runScenario (t: Test, gateway: TestGateway, esc: TestEsc, router: TcpSwitch, flow: EscFlow, condition: Condition): Promise<void> {
  const vars = variables(`replay-${process.pid}-${scenario++}-${flow.flow}`)
  for (const name of flow.before) {
    const before = flows.get(name) as EscFlow
    await replayFlow(gateway.app, KEY, before, vars)
    await driveToRouter(gateway, esc, before, vars)
    // The router shows the card before the gateway has read its answer: cut the connection now and that
    // answer is lost (a known limit, README "Not done yet"). The scenario starts once the gateway knows.
    await escInLine(gateway, vars.escn)
  }
  const mark = esc.calls.length
  await condition.apply(esc, router)
  let answers
  try {
    answers = await replayFlow(gateway.app, KEY, flow, vars)
  } finally {
    await condition.restore(esc, router)
  }
  t.ok(answers.length > 0, `${flow.flow} ${condition.name}: ESUP-SGC went through ${answers.map((answer) => `${answer.call} ${answer.status}`).join(', ')}`)
  t.ok(answers.every((answer) => answer.status < 500), 'no 5xx: every change committed')
  await driveToRouter(gateway, esc, flow, vars)
  esc.clearFaults()
  const since = { calls: esc.calls.slice(mark) } as unknown as TestEsc
  for (const operation of flow.expect.operations) {
    const about = operation.endsWith('_1') ? { escn: vars.escn } : { esi: vars.esi }
    t.ok(escCalls(since, operation, about).length >= 1, `the router got ${operation}`)
  }
  if (flow.expect.card === 'absent') t.equal(escCalls(since, 'update_1', { escn: vars.escn }).length, 0, 'the card was deleted as ESUP-SGC asked, never sent INACTIVE')
}

for (const flow of flows.values()) {
  t.test(`ESUP-SGC ${flow.flow} through the ESC façade`, async (t) => {
    const izly = await testIzly(t)
    const esc = await testEsc(t)
    const target = new URL(esc.url)
    const router = await tcpSwitch(t, { host: target.hostname, port: Number(target.port) })
    const gateway = await startTestGateway(t, {
      izlyEndpoint: izly.endpoint,
      escEndpoint: { url: `http://127.0.0.1:${router.port}/esc-rest`, token: TEST_ESC_TOKEN, pic: TEST_PIC },
      extra: { SGC_ESC_KEYS: `${OLD_KEY},${KEY}`, FACADE_READ_DEADLINE_MS: String(DEADLINE_MS) },
    })
    for (const condition of CONDITIONS) {
      await t.test(`router ${condition.name}`, async (t) => { await runScenario(t, gateway, esc, router, flow, condition) })
    }
  })
}
