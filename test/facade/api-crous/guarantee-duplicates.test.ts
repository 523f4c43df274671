// Guarantee drills (SPEC §6) with the work arriving through the API CROUS façade as ESUP-SGC's C8: the same
// C8 1,000 times (guarantee.test.ts: outage; guarantee-crashes.test.ts: worker killed, Redis restarted).
import t from 'tap'
import { startTestGateway } from '../../helpers/gateway.ts'
import { callsFor, forEachIzlyTransport, izlyCard, testIzly } from '../../helpers/izly.ts'
import { driveToRest } from '../../helpers/rest.ts'
import { waitFor } from '../../helpers/wait.ts'
import { EsupSgc } from './helpers/esup-sgc.ts'
import { CLIENT, extra, oppose, seededCard } from './helpers/drills.ts'

// Generous: on a loaded 2-vCPU machine (the suite runs two files at once) these drills take minutes, not seconds.
t.setTimeout(360_000)

forEachIzlyTransport(t, 'the same C8 sent 1,000 times (concurrently, in waves) opposes the card once', async (t, transport) => {
  const izly = await testIzly(t, transport)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.endpoint, extra })
  const sgc = new EsupSgc(gateway.app, CLIENT)
  t.equal(await sgc.authenticate(), 200)
  const card = seededCard(izly)
  const cancelDate = sgc.localTime()
  const statuses: number[] = []
  for (let wave = 0; wave < 10; wave++) {
    statuses.push(...await Promise.all(Array.from({ length: 100 }, async () => await oppose(sgc, card, 'DV', cancelDate))))
  }
  t.equal(statuses.length, 1000)
  t.ok(statuses.every((status) => status === 204), 'every one answered 204')
  await waitFor('the opposition', () => izlyCard(izly, card.idZdc)?.opposed === true)
  await driveToRest(gateway)
  t.equal(callsFor(izly, 'OpposeSmartCard', card.idZdc).length, 1, 'one OpposeSmartCard reached Izly')
  t.equal((await gateway.registry.getCard(`crous-zdc-${card.idZdc}`))?.version, 1, 'the card changed once')
})
