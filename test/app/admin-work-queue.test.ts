// The admin API as an operator's tool: named tokens (rotation, refusal, the name in the timeline and the
// audit log), a card found by what the caller has, and the "needs attention" list as a work queue
// (filters, pages, replay of one and of a whole filter, 1,000 at once, dismissal, re-sync).
// An API-only gateway: no worker runs, so what the actions did stays to be read (dirty marks, queued jobs).
import t from 'tap'
import type { CardEvent } from '../../src/domain/card-event.ts'
import type { AttentionEntry } from '../../src/registry/attention.ts'
import { cardEvent } from '../fixtures/card-events.ts'
import { captureLogger } from '../helpers/capture-log.ts'
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts'

const ALICE = 'alice-token-0123456789abcdef'
const BOB_OLD = 'bob-old-token-0123456789abcdef'
const BOB_NEW = 'bob-new-token-0123456789abcdef'

async function call (gateway: TestGateway, method: 'GET' | 'POST', url: string, token: string | null = ALICE, payload?: unknown): Promise<{ status: number, body: any }> {
  const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` }
  if (payload !== undefined) headers['content-type'] = 'application/json'
  const response = await gateway.app.inject({ method, url, headers, ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}) })
  return { status: response.statusCode, body: response.body === '' ? undefined : response.json() }
}

/** Puts a card's work in "needs attention" as the sync worker does (registry.markAttention). */
async function park (gateway: TestGateway, event: CardEvent, fields: Partial<AttentionEntry> = {}): Promise<void> {
  const record = await gateway.registry.getCard(event.card.id)
  await gateway.registry.markAttention({
    downstream: 'izly', cardId: event.card.id, version: record?.version ?? 1, lane: 'oppose', code: '-42', message: 'Client inconnu',
    correlationId: event.eventId, at: new Date().toISOString(), ...fields,
  })
}

async function apiGateway (t: Parameters<typeof startTestGateway>[0], tokens: string, logger?: ReturnType<typeof captureLogger>['logger']): Promise<TestGateway> {
  return await startTestGateway(t, { izlyEndpoint: 'http://127.0.0.1:9/izly', role: 'api', extra: { ADMIN_TOKENS: tokens }, ...(logger !== undefined ? { logger } : {}) })
}

t.test('named tokens: none, wrong, a rotated one still accepted, the old one refused once removed; the name in the timeline and the audit line', async (t) => {
  const log = captureLogger('info')
  // Bob rotating: his new token added beside the old one.
  const during = await apiGateway(t, `alice:${ALICE},bob:${BOB_OLD},bob-2:${BOB_NEW}`, log.logger)
  t.equal((await call(during, 'GET', '/admin/v1/queues', null)).status, 401, 'no token')
  t.equal((await call(during, 'GET', '/admin/v1/queues', `${ALICE}x`)).status, 401, 'a wrong token')
  t.equal((await call(during, 'GET', '/admin/v1/queues', 'bob')).status, 401, 'an operator name is no token')
  const basic = await during.app.inject({ method: 'GET', url: '/admin/v1/queues', headers: { authorization: `Basic ${Buffer.from(`x:${ALICE}`).toString('base64')}` } })
  t.equal(basic.statusCode, 401, 'the API takes bearer tokens only')
  t.equal(basic.headers['www-authenticate'], 'Bearer')
  t.equal((await call(during, 'GET', '/admin/v1/queues', BOB_OLD)).status, 200, 'the old token, still listed during the rotation')
  t.equal((await call(during, 'GET', '/admin/v1/queues', BOB_NEW)).status, 200, 'the new one')

  const event = cardEvent({ state: 'DISABLED', disableReason: 'LOST' })
  t.equal((await during.post(event)).status, 202)
  await park(during, event)
  t.equal((await call(during, 'POST', `/admin/v1/attention/izly/${event.card.id}/replay`, BOB_NEW)).status, 202)
  const timeline = (await call(during, 'GET', `/admin/v1/cards/${event.card.id}/timeline`)).body.entries
  t.match(timeline.filter((entry: { type: string }) => entry.type === 'replay'), [{ downstream: 'izly', operator: 'bob-2' }], 'the replay names its operator')
  const auditLines = log.lines.filter((line) => line.audit === true && line.action === 'replay')
  t.match(auditLines, [{ operator: 'bob-2', downstream: 'izly', cardId: event.card.id, msg: 'admin replay' }], 'one audit line, with the operator')
  const refused = log.lines.filter((line) => line.action === 'refused')
  t.equal(refused.length, 4, 'every refusal is logged')
  t.notOk(log.text().includes(ALICE) || log.text().includes(BOB_OLD) || log.text().includes(BOB_NEW), 'no token in any log line')

  // The rotation done: the old token removed from ADMIN_TOKENS.
  const after = await apiGateway(t, `alice:${ALICE},bob-2:${BOB_NEW}`)
  t.equal((await call(after, 'GET', '/admin/v1/queues', BOB_OLD)).status, 401, 'the old token is refused')
  t.equal((await call(after, 'GET', '/admin/v1/queues', BOB_NEW)).status, 200, 'the new one is accepted')

  // The former format (bare tokens) is still read, named by position.
  const bare = await apiGateway(t, `${ALICE},${BOB_NEW}`)
  const bareEvent = cardEvent({ state: 'DISABLED', disableReason: 'THEFT' })
  t.equal((await bare.post(bareEvent)).status, 202)
  await park(bare, bareEvent)
  t.equal((await call(bare, 'POST', `/admin/v1/attention/izly/${bareEvent.card.id}/replay`, BOB_NEW)).status, 202)
  t.match((await call(bare, 'GET', `/admin/v1/cards/${bareEvent.card.id}/timeline`, BOB_NEW)).body.entries.filter((entry: { type: string }) => entry.type === 'replay'), [{ operator: 'admin-2' }])
})

t.test('a card found by CSN, idZdc, ESCN or eppn (several cards), with a summary per downstream; no eppn in the logs', async (t) => {
  const log = captureLogger('trace')
  const gateway = await apiGateway(t, `alice:${ALICE}`, log.logger)
  const eppn = `holder-${Date.now()}@univ-rouen.fr`
  const lost = cardEvent({ state: 'DISABLED', disableReason: 'LOST', eppn, occurredAt: '2026-11-28T09:00:00Z' })
  const renewed = cardEvent({ state: 'ENABLED', eppn, occurredAt: '2026-11-28T09:05:00Z' })
  const escn = `9f3e2a5c-1b7d-1e8a-9c6f-${String(Date.now()).slice(-12).padStart(12, '0')}`
  const withEscn = { ...renewed, card: { ...renewed.card, escn } }
  t.equal((await gateway.post(lost)).status, 202)
  t.equal((await gateway.post(withEscn)).status, 202)
  await park(gateway, lost, { code: '-41', message: 'account in opposition' })

  const byCsn = await call(gateway, 'GET', `/admin/v1/cards?csn=${(lost.card.csn as string).toLowerCase()}`)
  t.equal(byCsn.status, 200)
  t.match(byCsn.body, { count: 1, cards: [{ cardId: lost.card.id, downstreams: { izly: { inLine: false, summary: /^needs attention: -41 account in opposition \(to oppose, since / } } }] }, 'by CSN, in any case')
  t.match((await call(gateway, 'GET', `/admin/v1/cards?idZdc=${lost.card.crous?.idZdc as string}`)).body, { count: 1, cards: [{ cardId: lost.card.id }] }, 'by idZdc')
  t.match((await call(gateway, 'GET', `/admin/v1/cards?escn=${escn.toUpperCase()}`)).body, { count: 1, cards: [{ cardId: renewed.card.id, downstreams: { izly: { summary: /^waiting for Izly since .* \(to enable\), no failed attempt yet$/ } } }] }, 'by ESCN')
  const byEppn = (await call(gateway, 'GET', `/admin/v1/cards?eppn=${encodeURIComponent(eppn)}`)).body
  t.equal(byEppn.count, 2, 'an eppn has both cards')
  t.same(byEppn.cards.map((card: { cardId: string }) => card.cardId), [renewed.card.id, lost.card.id], 'the newest first')
  t.match((await call(gateway, 'GET', '/admin/v1/cards?csn=00112233445566')).body, { count: 0, cards: [] }, 'an unknown card: an empty answer')
  t.match((await call(gateway, 'GET', '/admin/v1/cards?csn=not-hex')).body, { status: 400, type: /invalid-identifier$/ })
  t.match((await call(gateway, 'GET', `/admin/v1/cards?csn=${lost.card.csn as string}&eppn=x`)).body, { status: 400, type: /one-identifier$/ }, 'one identifier at a time')
  t.equal((await call(gateway, 'GET', '/admin/v1/cards')).status, 400)
  t.equal((await call(gateway, 'GET', `/admin/v1/cards?eppn=${encodeURIComponent(eppn)}`, null)).status, 401)
  t.match((await call(gateway, 'GET', `/admin/v1/cards/${lost.card.id}`)).body, { downstreams: { izly: { summary: /^needs attention: -41/ } } }, 'the single card view has the summary too')

  t.notOk(log.text().includes(eppn) || log.text().includes(encodeURIComponent(eppn)), 'the eppn searched for is in no log line')
  t.match(log.lines.filter((line) => line.action === 'find-card'), [{ by: 'csn', found: 1 }, { by: 'idZdc' }, { by: 'escn' }, { by: 'eppn', found: 2, operator: 'alice' }], 'each search is audited by kind')
})

t.test('the attention list as a work queue: filters, pages, replay one, dismiss with a reason, re-sync', async (t) => {
  const gateway = await apiGateway(t, `alice:${ALICE},bob:${BOB_NEW}`)
  const events = Array.from({ length: 7 }, () => cardEvent({ state: 'DISABLED', disableReason: 'LOST', eppn: 'Camille.Martin@univ-rouen.fr' }))
  t.equal((await gateway.postBatch(events)).status, 202)
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString()
  for (const [index, event] of events.entries()) {
    await park(gateway, event, index < 3 ? { code: 'HTTP_401', at: hourAgo } : {})
  }
  t.match((await call(gateway, 'GET', '/admin/v1/attention')).body, { count: 7, nextCursor: null })
  t.equal((await call(gateway, 'GET', '/admin/v1/attention?code=HTTP_401')).body.count, 3, 'by code')
  t.equal((await call(gateway, 'GET', '/admin/v1/attention?minAgeSeconds=1800')).body.count, 3, 'older than half an hour')
  t.equal((await call(gateway, 'GET', '/admin/v1/attention?maxAgeSeconds=1800')).body.count, 4, 'younger than half an hour')
  t.equal((await call(gateway, 'GET', '/admin/v1/attention?downstream=izly&code=-42&maxAgeSeconds=1800')).body.count, 4, 'criteria together')
  t.equal((await call(gateway, 'GET', '/admin/v1/attention?downstream=esc')).status, 404, 'a downstream this gateway does not have')
  t.equal((await call(gateway, 'GET', '/admin/v1/attention?minAgeSeconds=soon')).status, 400)
  t.equal((await call(gateway, 'GET', '/admin/v1/attention?limit=-1')).status, 400)
  t.equal((await call(gateway, 'GET', '/admin/v1/attention?cursor=bogus')).status, 400)

  // Pages of three, oldest first: every entry once, whatever is replayed between pages.
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const page: { status: number, body: any } = await call(gateway, 'GET', `/admin/v1/attention?limit=3${cursor === null ? '' : `&cursor=${cursor}`}`)
    t.equal(page.body.count, 7 - (pages > 0 ? 1 : 0), 'count is every match, not the page')
    t.ok(page.body.entries.length <= 3)
    seen.push(...page.body.entries.map((entry: AttentionEntry) => entry.cardId))
    if (pages === 0) t.equal((await call(gateway, 'POST', `/admin/v1/attention/izly/${page.body.entries[0].cardId as string}/replay`)).status, 202, 'one replayed between pages')
    cursor = page.body.nextCursor
    pages++
  } while (cursor !== null)
  t.equal(pages, 3)
  t.equal(new Set(seen).size, 7, 'no entry skipped nor shown twice')
  t.same(seen.slice(0, 3).sort(), events.slice(0, 3).map((event) => event.card.id).sort(), 'the oldest first')
  t.equal((await call(gateway, 'GET', '/admin/v1/attention?limit=5000')).body.entries.length, 6, 'the page size is capped, not refused')

  // Dismiss: out of the list, not dirty (nothing retries it), the reason masked and kept with the operator.
  const dismissed = events[4] as CardEvent
  const dismissUrl = `/admin/v1/attention/izly/${dismissed.card.id}/dismiss`
  t.equal((await call(gateway, 'POST', dismissUrl, ALICE)).status, 400, 'a reason is required')
  t.equal((await call(gateway, 'POST', dismissUrl, ALICE, { reason: '' })).status, 400)
  t.equal((await call(gateway, 'POST', dismissUrl, ALICE, { reason: 'x'.repeat(301) })).status, 400)
  t.equal((await call(gateway, 'POST', dismissUrl, null, { reason: 'r' })).status, 401)
  t.equal((await call(gateway, 'POST', '/admin/v1/attention/izly/no-such-card/dismiss', ALICE, { reason: 'r' })).status, 404)
  t.match((await call(gateway, 'POST', dismissUrl, 'bob', { reason: 'r' })), { status: 401 })
  t.match(await call(gateway, 'POST', dismissUrl, BOB_NEW, { reason: 'unknown at this CROUS, said Camille Martin' }), { status: 200, body: { status: 'dismissed' } })
  t.equal((await call(gateway, 'POST', dismissUrl, BOB_NEW, { reason: 'again' })).status, 409, 'nothing left to dismiss')
  t.notOk((await call(gateway, 'GET', '/admin/v1/attention')).body.entries.some((entry: AttentionEntry) => entry.cardId === dismissed.card.id))
  const dirty = await gateway.registry.countDirty('izly')
  const dismissLine = (await call(gateway, 'GET', `/admin/v1/cards/${dismissed.card.id}/timeline`)).body.entries.find((entry: { type: string }) => entry.type === 'dismiss')
  t.match(dismissLine, { downstream: 'izly', operator: 'bob', code: '-42', version: 1 })
  t.notMatch(dismissLine.reason, /Camille|Martin/, 'the holder\'s name pasted in the reason is masked')
  t.match(dismissLine.reason, /^unknown at this CROUS, said /)
  t.match((await call(gateway, 'GET', `/admin/v1/cards/${dismissed.card.id}`)).body.downstreams.izly.summary, /dismissed by bob at .*; a re-sync sends it again$/)

  // Re-sync: the dismissed card is dirty again, woken, and the line names the operator.
  t.equal((await call(gateway, 'POST', '/admin/v1/cards/no-such-card/resync')).status, 404)
  t.equal((await call(gateway, 'POST', `/admin/v1/cards/${dismissed.card.id}/resync?downstream=esc`)).status, 404)
  t.match(await call(gateway, 'POST', `/admin/v1/cards/${dismissed.card.id}/resync`), { status: 202, body: { downstreams: ['izly'], status: 'resynced' } })
  t.equal(await gateway.registry.countDirty('izly'), dirty + 1, 'the card is dirty again')
  t.match((await call(gateway, 'GET', `/admin/v1/cards/${dismissed.card.id}/timeline`)).body.entries.at(-1), { type: 'resync', operator: 'alice', downstream: 'izly' })
  t.match((await call(gateway, 'GET', `/admin/v1/cards/${dismissed.card.id}`)).body.downstreams.izly.summary, /^waiting for Izly since /)

  // A card that looks in line: its confirmation taken back.
  const inLine = events[6] as CardEvent
  const record = await gateway.registry.getCard(inLine.card.id)
  await gateway.registry.clearAttention('izly', inLine.card.id)
  const lease = await gateway.registry.acquireLease('izly', inLine.card.id, 10_000) as string
  await gateway.registry.confirm({ downstream: 'izly', cardId: inLine.card.id, leaseToken: lease, version: record?.version ?? 1, remoteState: 'opposed', outcome: 'opposed', entry: { at: new Date().toISOString(), type: 'sync', downstream: 'izly', version: 1, outcome: 'opposed', correlationId: inLine.eventId } })
  t.match((await call(gateway, 'GET', `/admin/v1/cards/${inLine.card.id}`)).body.downstreams.izly, { inLine: true, summary: /^opposed at Izly since .*, reason lost$/ })
  t.equal((await call(gateway, 'POST', `/admin/v1/cards/${inLine.card.id}/resync?downstream=izly`)).status, 202)
  t.match((await call(gateway, 'GET', `/admin/v1/cards/${inLine.card.id}`)).body.downstreams.izly, { inLine: false, confirmedVersion: 0 })

  const overview = (await call(gateway, 'GET', '/admin/v1/overview')).body
  t.match(overview, { downstreams: { izly: { needsAttention: 4, oldestPendingOppositionSeconds: null, sweptAt: null } }, queues: { 'izly-oppose': { wait: Number } } })
})

t.test('replaying every entry of a filter: 1,000 at once, each with its timeline line', async (t) => {
  t.setTimeout(120_000)
  const gateway = await apiGateway(t, `alice:${ALICE}`)
  const events = Array.from({ length: 1000 }, () => cardEvent({ state: 'DISABLED', disableReason: 'LOST' }))
  t.equal((await gateway.postBatch(events)).status, 202)
  const others = Array.from({ length: 5 }, () => cardEvent({ state: 'DISABLED', disableReason: 'THEFT' }))
  t.equal((await gateway.postBatch(others)).status, 202)
  for (let start = 0; start < events.length; start += 100) {
    await Promise.all(events.slice(start, start + 100).map(async (event) => { await park(gateway, event, { code: 'TOKEN_HTTP_401' }) }))
  }
  for (const event of others) await park(gateway, event)
  t.equal((await call(gateway, 'GET', '/admin/v1/attention?code=TOKEN_HTTP_401&limit=1')).body.count, 1000)
  const jobsBefore = (await gateway.queues.jobCounts())['izly-oppose']?.wait ?? 0

  t.equal((await call(gateway, 'POST', '/admin/v1/attention/replay')).status, 400, 'no filter: refused unless all=true')
  t.equal((await call(gateway, 'POST', '/admin/v1/attention/replay?downstream=nowhere')).status, 404)
  t.equal((await call(gateway, 'POST', '/admin/v1/attention/replay?code=TOKEN_HTTP_401', null)).status, 401)
  t.match(await call(gateway, 'POST', '/admin/v1/attention/replay?downstream=izly&code=TOKEN_HTTP_401'), { status: 202, body: { matched: 1000, replayed: 1000 } })
  t.match((await call(gateway, 'GET', '/admin/v1/attention')).body, { count: 5 }, 'only the other code is left')
  t.equal(await gateway.registry.countDirty('izly'), 1000, 'every replayed card is dirty again (the others still wait)')
  const jobsAfter = (await gateway.queues.jobCounts())['izly-oppose']
  t.ok((jobsAfter?.wait ?? 0) + (jobsAfter?.prioritized ?? 0) >= Math.min(1000, jobsBefore), 'their syncs are queued')
  const sample = events[737] as CardEvent
  t.match((await call(gateway, 'GET', `/admin/v1/cards/${sample.card.id}/timeline`)).body.entries.at(-1), { type: 'replay', operator: 'alice', downstream: 'izly' })
  t.match(await call(gateway, 'POST', '/admin/v1/attention/replay?all=true'), { status: 202, body: { matched: 5, replayed: 5 } })
  t.equal((await call(gateway, 'GET', '/admin/v1/attention')).body.count, 0)
})
