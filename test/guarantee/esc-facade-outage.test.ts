// Drill: ESUP-SGC keeps working through the ESC façade while the router is down (503s, then dropped
// connections) for a while: every call is answered 2xx, nothing waits for a human, and once the router
// is back every card change ESUP-SGC made arrives (enablements, deletions on disable, CADUC, opt-outs).
import t from 'tap'
import { esiFromIne } from '../../src/domain/esc-identifiers.ts'
import { breakerOpen } from '../helpers/breaker.ts'
import { escCard, escnOf, hasEscPerson, ineOf, testEsc } from '../helpers/esc.ts'
import { type EscFlow, type FlowVariables, loadEscFlows, replayFlow } from '../helpers/esup-sgc-esc.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { testIzly } from '../helpers/izly.ts'
import { waitFor } from '../helpers/wait.ts'

const KEY = 'esc-facade-drill-key-0123456789'
const flows = loadEscFlows()
const flow = (name: string): EscFlow => flows.get(name) as EscFlow

function variables (seed: string): FlowVariables {
  return { esi: esiFromIne(ineOf(seed)), escn: escnOf(seed), pic: '999859608', fullName: 'Alix Dupont', email: `${seed}@etu.example.fr`, issuedAt: '2026-09-01', expiresAt: '2030-08-31' }
}

t.test('the router down then back: every ESUP-SGC change made through the façade arrives', async (t) => {
  const izly = await testIzly(t)
  const esc = await testEsc(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint, escEndpoint: esc.endpoint, extra: { SGC_ESC_KEYS: KEY, FACADE_READ_DEADLINE_MS: '200' } })
  const seed = `drill-${process.pid}`
  const before = Array.from({ length: 12 }, (_, index) => variables(`${seed}-before-${index}`))
  for (const vars of before) await replayFlow(gateway.app, KEY, flow('enable'), vars)
  await waitFor('the first cards at the router', () => before.every((vars) => escCard(esc, vars.escn)?.status === 'ACTIVE'))
  await waitFor('the gateway to have confirmed them', async () => {
    for (const vars of before) {
      const record = await gateway.registry.findCard('escn', vars.escn)
      const view = await gateway.admin('GET', `/admin/v1/cards/${encodeURIComponent(record?.card.id ?? '')}`)
      if (view.body?.downstreams?.esc?.inLine !== true) return false
    }
    return true
  })

  esc.setOutage('http503')
  const enabled = Array.from({ length: 10 }, (_, index) => variables(`${seed}-during-${index}`))
  const [disabled, caduc, optedOut] = [before.slice(0, 4), before.slice(4, 8), before.slice(8, 12)]
  const answers = []
  for (const vars of enabled) answers.push(...await replayFlow(gateway.app, KEY, flow('enable'), vars))
  for (const vars of disabled) answers.push(...await replayFlow(gateway.app, KEY, flow('disable'), vars))
  await waitFor('the breaker to open', async () => await breakerOpen(gateway, 'esc'))
  esc.setOutage('reset')
  for (const vars of caduc) answers.push(...await replayFlow(gateway.app, KEY, flow('caduc'), vars))
  for (const vars of optedOut) answers.push(...await replayFlow(gateway.app, KEY, flow('opt-out'), vars))
  t.ok(answers.every((answer) => (answer.status >= 200 && answer.status < 300) || answer.status === 404), 'every façade answer let ESUP-SGC commit (2xx, or the 404 of a person lookup)')
  t.ok(enabled.every((vars) => escCard(esc, vars.escn) === undefined), 'the router got nothing meanwhile')
  t.equal((await gateway.admin('GET', '/admin/v1/attention')).body.count, 0, 'an outage needs no human')

  esc.setOutage('off')
  await waitFor('every change at the router', () =>
    enabled.every((vars) => escCard(esc, vars.escn)?.status === 'ACTIVE' && hasEscPerson(esc, vars.esi)) &&
    disabled.every((vars) => escCard(esc, vars.escn) === undefined && hasEscPerson(esc, vars.esi)) &&
    [...caduc, ...optedOut].every((vars) => escCard(esc, vars.escn) === undefined && !hasEscPerson(esc, vars.esi)), 30_000)
  t.pass('enabled cards ACTIVE, disabled ones deleted (person kept), CADUC and opted-out persons deleted')
  t.equal(esc.calls.filter((call) => call.operation === 'update_1' && call.cardStatusType === 'INACTIVE').length, 0, 'no card was sent INACTIVE: ESUP-SGC asked for deletions')
})
