// Guarantee drills (SPEC §6) with the work arriving through the API CROUS façade as ESUP-SGC's C8: an Izly
// outage (guarantee-duplicates.test.ts: 1,000 duplicate PATCHes; guarantee-crashes.test.ts: worker killed, Redis restarted).
import t from 'tap'
import { startTestGateway } from '../../helpers/gateway.ts'
import { callsFor, forEachIzlyTransport, izlyCard, testIzly } from '../../helpers/izly.ts'
import { driveToRest } from '../../helpers/rest.ts'
import { waitFor } from '../../helpers/wait.ts'
import { EsupSgc } from './helpers/esup-sgc.ts'
import { CLIENT, extra, oppose, seededCard } from './helpers/drills.ts'

// Generous: on a loaded 2-vCPU machine (the suite runs two files at once) these drills take minutes, not seconds.
t.setTimeout(360_000)

forEachIzlyTransport(t, 'façade oppositions accepted during an Izly outage all arrive, each with its reason', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint, extra })
  const sgc = new EsupSgc(gateway.app, CLIENT)
  const reasons = ['DP', 'DV', 'CD', 'HS']
  const cards = Array.from({ length: 20 }, (_, i) => ({ ...seededCard(izly), reason: reasons[i % 4] as string }))
  izly.setOutage('reset')
  for (const card of cards) t.equal(await oppose(sgc, card, card.reason), 204, 'C8 answered 204 at once: ESUP-SGC commits the opposition')
  await waitFor('calls refused by the outage', () => izly.calls.filter((call) => call.code === 'outage').length >= 3)
  izly.setOutage('off')
  await waitFor('every opposition', () => cards.every((card) => izlyCard(izly, card.idZdc)?.opposed === true), 30_000)
  for (const card of cards) t.equal(izlyCard(izly, card.idZdc)?.reason, card.reason)
  await driveToRest(gateway)
  t.equal((await gateway.admin('GET', '/admin/v1/attention')).body.count, 0)
})
