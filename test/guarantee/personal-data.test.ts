// Drill: personal data never leaves the card registry. A holder with a distinctive name, e-mail, birth
// date, INE and ESI goes through enable, disable, transient then permanent faults from both simulators
// whose messages echo those values, and a replay, with the gateway logging at trace level into memory.
// Then every log line, the timeline, the attention list, every Redis key outside the card registry (each
// BullMQ job hash and event stream, the activity lists, the attention hashes, the breakers and the sweep's
// keys among them) and /metrics are searched: none of the values appears, and no Redis key name holds the eppn.
import type { Redis } from 'ioredis'
import t from 'tap'
import { scanEveryKey } from '../helpers/key-scan.ts'
import { captureLogger } from '../helpers/capture-log.ts'
import { escCard, escCardEvent, testEsc } from '../helpers/esc.ts'
import { startTestGateway } from '../helpers/gateway.ts'
import { izlyCard, testIzly } from '../helpers/izly.ts'
import { testRedis } from '../helpers/redis.ts'
import { waitFor } from '../helpers/wait.ts'

const HOLDER = {
  firstName: 'Éloïse-Marguerite',
  lastName: 'D\'Arcy-Quenneville',
  email: 'eloise.darcy-quenneville@etu.univ-rouen.fr',
  birthDate: '1999-12-31',
  ine: '0987654321Z',
  esi: 'urn:schac:personalUniqueCode:int:esi:fr:QX7741ZPW',
  eppn: 'edarcyq7741@univ-rouen.fr',
}

/** What must not appear: each value, its parts, and the forms a downstream may echo them in. */
const NEEDLES = [
  HOLDER.firstName, 'Éloïse', 'Eloise', 'Marguerite', HOLDER.lastName, 'Darcy', 'Quenneville',
  HOLDER.email, HOLDER.birthDate, '31/12/1999', '19991231', HOLDER.ine, HOLDER.esi, 'QX7741ZPW', HOLDER.eppn, 'edarcyq7741',
]

/** Folded (no accents, lower case) so that `ELOISE` or `éloïse` count as found. */
function fold (text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()
}

function leaks (where: string, text: string): string[] {
  const haystack = fold(text)
  return NEEDLES.filter((needle) => haystack.includes(fold(needle))).map((needle) => `${where}: ${needle}`)
}

/** A text a downstream would answer with, echoing everything it was sent about the holder. */
const ECHO = `${HOLDER.firstName} ${HOLDER.lastName} (ELOISE DARCY), ${HOLDER.email}, né(e) le 31/12/1999, INE ${HOLDER.ine}, ${HOLDER.esi}, ${HOLDER.eppn}`

/** Every value under the gateway's prefix but the card registry's own records (card:*, sync:*), by key. */
async function redisContents (redis: Redis, prefix: string): Promise<{ names: string[], values: Array<[string, string]> }> {
  const every = await scanEveryKey(redis, prefix)
  const registry = (key: string): boolean => key.startsWith(`${prefix}:card:`) || key.startsWith(`${prefix}:sync:`)
  // A key gone since the scan (a lease, the breaker's probe or a queue's rate-limit key lapsing) has nothing to read.
  return { names: every.map(({ key }) => key), values: every.filter(({ key, type }) => !registry(key) && type !== 'none').map(({ key, content }) => [key, content]) }
}

t.test('no name, e-mail, birth date, INE, ESI or eppn reaches a log line, the timeline, the attention list, a job, a key name or /metrics', async (t) => {
  const capture = captureLogger('trace')
  const izly = await testIzly(t)
  const esc = await testEsc(t)
  const gateway = await startTestGateway(t, { izlyEndpoint: izly.url, escEndpoint: esc.endpoint, logger: capture.logger })
  const redis = await testRedis(t, gateway.prefix)

  const enabled = escCardEvent({ state: 'ENABLED', eppn: HOLDER.eppn, ine: HOLDER.ine, esi: HOLDER.esi })
  Object.assign(enabled.holder, { firstName: HOLDER.firstName, lastName: HOLDER.lastName, email: HOLDER.email, birthDate: HOLDER.birthDate })
  const { id: cardId } = enabled.card
  const idZdc = enabled.card.crous?.idZdc as string
  const escn = enabled.card.escn as string
  t.equal((await gateway.post(enabled)).status, 202)
  await waitFor('enabled at Izly and at the router', () => izlyCard(izly, idZdc)?.opposed === false && escCard(esc, escn)?.status === 'ACTIVE')

  // Transient faults first (retried), then a permanent one each (needs attention), all echoing the holder.
  izly.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 503, code: '-503', message: ECHO, retryable: true, times: 2 })
  izly.scriptFault({ operation: 'OpposeSmartCard', httpStatus: 422, code: '-99', message: ECHO, field: HOLDER.lastName, times: 1 })
  esc.scriptFault({ operation: 'update_1', httpStatus: 503, code: 'SIM-503', message: ECHO, times: 2 })
  esc.scriptFault({ operation: 'update_1', httpStatus: 400, code: 'SIM-400', message: ECHO, times: 1 })
  const disabled = escCardEvent({ cardId, state: 'DISABLED', disableReason: 'LOST', eppn: HOLDER.eppn, ine: HOLDER.ine, esi: HOLDER.esi, escn, occurredAt: new Date(Date.parse(enabled.occurredAt) + 60_000).toISOString() })
  Object.assign(disabled.holder, { firstName: HOLDER.firstName, lastName: HOLDER.lastName, email: HOLDER.email, birthDate: HOLDER.birthDate })
  t.equal((await gateway.post(disabled)).status, 202)
  const attention = await waitFor('both downstreams waiting for attention', async () => {
    const list = await gateway.admin('GET', '/admin/v1/attention')
    return list.body.count === 2 ? list : undefined
  })
  t.match(attention.body.entries, [{ code: /^(?:-99|SIM-400)$/ }, { code: /^(?:-99|SIM-400)$/ }], 'the downstreams\' own codes are kept')
  t.ok(attention.body.entries.every((entry: { message: string }) => /<holder>/.test(entry.message)), 'their messages, with the holder masked')
  const attentionText = JSON.stringify(attention.body)
  const timelineDuringFaults = JSON.stringify((await gateway.admin('GET', `/admin/v1/cards/${cardId}/timeline`)).body)
  t.match(timelineDuringFaults, /"transient":true/, 'the transient faults are in the timeline')
  // Every job, failed attempts included, while they are still in Redis.
  const duringFaults = await redisContents(redis, gateway.prefix)

  // The cause is gone: a replay delivers both.
  for (const downstream of ['izly', 'esc']) t.equal((await gateway.admin('POST', `/admin/v1/attention/${downstream}/${encodeURIComponent(cardId)}/replay`)).status, 202)
  await waitFor('opposed at Izly and inactive at the router', () => izlyCard(izly, idZdc)?.opposed === true && escCard(esc, escn)?.status === 'INACTIVE')
  await waitFor('both in line', async () => {
    const card = (await gateway.admin('GET', `/admin/v1/cards/${encodeURIComponent(cardId)}`)).body
    return card.downstreams.izly.inLine === true && card.downstreams.esc.inLine === true
  })

  const timeline = JSON.stringify((await gateway.admin('GET', `/admin/v1/cards/${cardId}/timeline`)).body)
  t.match(timeline, /"type":"replay"/, 'the replay is in the timeline')
  t.match(timeline, /"person":"[0-9a-f]{16}"/, 'a person is named by a keyed hash')
  const metrics = (await gateway.app.inject({ method: 'GET', url: '/metrics' })).body
  const afterReplay = await redisContents(redis, gateway.prefix)
  const logs = capture.text()
  t.ok(capture.lines.length > 20, `${capture.lines.length} log lines at trace level`)
  t.comment(`searched ${capture.lines.length} log lines, ${duringFaults.values.length + afterReplay.values.length} Redis values, ${timeline.length} characters of timeline`)
  t.ok(capture.lines.some((line) => line.msg === 'transient fault, will retry') && capture.lines.some((line) => /permanent fault/.test(String(line.msg))), 'the faults were logged')
  t.ok(duringFaults.values.some(([key]) => /:bull:izly-oppose:/.test(key)), 'the BullMQ job hashes were read')
  // The keys the breaker, the coalesced activity, the attention lists and the sweep write were read too.
  const read = new Set([...duringFaults.values, ...afterReplay.values].map(([key]) => key))
  for (const key of [`activity:izly:${cardId}`, `activity:esc:${cardId}`, 'attention:izly', 'attention:esc', 'breaker:izly', 'breaker:esc', 'sweep-stats:izly', 'sweep-stats:esc']) {
    t.ok(read.has(`${gateway.prefix}:${key}`), `${key} was searched`)
  }
  t.ok([...read].some((key) => key.startsWith(`${gateway.prefix}:bull:sweep:`)), 'the sweep scheduler\'s keys were searched')

  const found = [
    ...leaks('logs', logs),
    ...leaks('timeline', timelineDuringFaults + timeline),
    ...leaks('attention list', attentionText),
    ...leaks('/metrics', metrics),
    ...[...duringFaults.values, ...afterReplay.values].flatMap(([key, value]) => leaks(`redis ${key}`, value)),
    ...[...duringFaults.names, ...afterReplay.names].flatMap((name) => leaks('redis key name', name)),
  ]
  t.same([...new Set(found)], [], 'no personal value anywhere outside the card registry')
  const record = await redis.hget(`${gateway.prefix}:card:${cardId}`, 'record')
  t.match(record, new RegExp(HOLDER.lastName), 'the card registry record holds them (it creates the CROUS right holder)')
})
