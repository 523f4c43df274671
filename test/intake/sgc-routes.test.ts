import t from 'tap'
import type { Test } from 'tap'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { CardEvent } from '../../src/domain/card-event.ts'
import type { IntakeResult, IntakeService } from '../../src/intake/intake-service.ts'
import { RegistryUnavailableError } from '../../src/intake/intake-service.ts'
import { sgcIntakeRoutes } from '../../src/intake/sgc-routes.ts'
import type { SgcIntakeRoutesOptions } from '../../src/intake/sgc-routes.ts'
import { signBody } from '../../src/intake/signature.ts'
import { cardEvent } from '../fixtures/card-events.ts'

const SECRET = 'test-secret'
const SINGLE = '/sgc/v1/card-events'
const BATCH = '/sgc/v1/card-events/batch'

/** Map-based stand-in for the Redis intake: enough to check what the routes answer and hand over. */
class FakeIntake implements IntakeService {
  readonly stored = new Map<string, { fingerprint: string, event: CardEvent }>()
  readonly calls: CardEvent[] = []
  /** Accepts that succeed before Redis "goes away". */
  failAfter = Number.POSITIVE_INFINITY
  /** Simulated latency per call, to let concurrent cards interleave. */
  delayMs: (event: CardEvent) => number = () => 0
  inFlight = 0
  maxInFlight = 0
  #succeeded = 0

  async accept (event: CardEvent, fingerprint: string): Promise<IntakeResult> {
    this.calls.push(event)
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    try {
      const delay = this.delayMs(event)
      if (delay > 0) await sleep(delay)
      if (this.#succeeded >= this.failAfter) throw new RegistryUnavailableError(new Error('ECONNREFUSED'))
      this.#succeeded++
      const known = this.stored.get(event.eventId)
      if (known !== undefined) {
        return known.fingerprint === fingerprint
          ? { status: 'duplicate', eventId: event.eventId, cardId: event.card.id }
          : { status: 'conflict', eventId: event.eventId }
      }
      this.stored.set(event.eventId, { fingerprint, event })
      return { status: 'accepted', eventId: event.eventId, cardId: event.card.id, version: this.stored.size, applied: true }
    } finally {
      this.inFlight--
    }
  }
}

interface Harness {
  app: FastifyInstance
  intake: FakeIntake
  logs: string[]
}

async function build (t: Test, options: Partial<SgcIntakeRoutesOptions> = {}): Promise<Harness> {
  const intake = new FakeIntake()
  const logs: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { logs.push(String(chunk)); done() } })
  const app = Fastify({ logger: { level: 'info', stream } })
  await app.register(sgcIntakeRoutes({ intake, secrets: [SECRET], ...options }))
  t.teardown(() => app.close())
  return { app, intake, logs }
}

function post (app: FastifyInstance, url: string, body: unknown, options: { secret?: string, signature?: string | null, t?: number } = {}) {
  const payload = typeof body === 'string' ? body : JSON.stringify(body)
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  const signature = options.signature === undefined ? signBody(options.secret ?? SECRET, payload, options.t) : options.signature
  if (signature !== null) headers['x-signature'] = signature
  return app.inject({ method: 'POST', url, headers, payload })
}

t.test('a valid event is 202 accepted, handed over normalised', async (t) => {
  const { app, intake } = await build(t)
  const event = cardEvent({ cardId: 'r1', eventId: 'evt-r1' })
  event.card.csn = '04a1b2c3d4e5f6'
  const response = await post(app, SINGLE, event)
  t.equal(response.statusCode, 202)
  t.same(response.json(), { eventId: 'evt-r1', status: 'accepted', duplicate: false, applied: true })
  t.equal(intake.stored.get('evt-r1')?.event.card.csn, '04A1B2C3D4E5F6')
})

t.test('the same event again, keys reordered and CSN in another case, is a 202 duplicate', async (t) => {
  const { app, intake } = await build(t)
  const event = cardEvent({ cardId: 'r2', eventId: 'evt-r2' })
  t.equal((await post(app, SINGLE, event)).statusCode, 202)
  const resent = { holder: event.holder, card: { ...event.card, csn: event.card.csn?.toLowerCase() }, occurredAt: event.occurredAt, eventId: event.eventId }
  const response = await post(app, SINGLE, resent)
  t.equal(response.statusCode, 202)
  t.same(response.json(), { eventId: 'evt-r2', status: 'accepted', duplicate: true })
  t.equal(intake.stored.size, 1)
})

t.test('the same eventId with another content is a 409 problem', async (t) => {
  const { app } = await build(t)
  const event = cardEvent({ cardId: 'r3', eventId: 'evt-r3' })
  await post(app, SINGLE, event)
  const response = await post(app, SINGLE, { ...event, card: { ...event.card, state: 'DISABLED' } })
  t.equal(response.statusCode, 409)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.match(response.json(), { type: 'https://leocarte.example/problems/event-id-conflict', status: 409, title: 'Conflict' })
})

t.test('a malformed event is a 400 naming every bad field, and is not handed over', async (t) => {
  const { app, intake } = await build(t)
  const event = cardEvent({ cardId: 'r4' }) as unknown as Record<string, any>
  event.eventId = ''
  event.occurredAt = '2026-09-01T10:00:00'
  event.card.state = 'LOST'
  event.card.csn = '12345'
  event.card.escn = 'not-an-escn'
  event.card.crous.idZdc = 'A12'
  event.card.color = 'blue'
  delete event.holder.eppn
  event.holder.consents = { crous: 'yes' }
  event.holder.pic = '12345'
  event.holder.birthDate = '2004-13-01'
  const response = await post(app, SINGLE, event)
  t.equal(response.statusCode, 400)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  const problem = response.json()
  t.match(problem, { type: 'https://leocarte.example/problems/invalid-card-event', status: 400 })
  const fields = new Set(problem.errors.map((error: { field: string }) => error.field))
  for (const field of [
    'eventId', 'occurredAt', 'card.state', 'card.csn', 'card.escn', 'card.crous.idZdc', 'card.color',
    'holder.eppn', 'holder.consents.crous', 'holder.consents.esc', 'holder.pic', 'holder.birthDate',
  ]) {
    t.ok(fields.has(field), `names ${field}`)
  }
  t.ok(problem.errors.every((error: { message: unknown }) => typeof error.message === 'string' && error.message !== ''))
  t.equal(intake.calls.length, 0)
})

t.test('SPEC field rules', async (t) => {
  const { app, intake } = await build(t)
  const cases: Array<[string, (event: Record<string, any>) => void, string | null]> = [
    ['a 20-character CSN', (e) => { e.card.csn = '0123456789abcdefABCD' }, null],
    ['an 8-character CSN', (e) => { e.card.csn = 'deadBEEF' }, null],
    ['a 16-character CSN', (e) => { e.card.csn = '0123456789ABCDEF' }, 'card.csn'],
    ['no CSN at all (later events may omit it)', (e) => { delete e.card.csn }, null],
    ['an offset date-time', (e) => { e.occurredAt = '2026-09-01T10:00:00.123+02:00' }, null],
    ['an offset without colon', (e) => { e.occurredAt = '2026-09-01T10:00:00+0200' }, 'occurredAt'],
    ['a 129-character eventId', (e) => { e.eventId = 'x'.repeat(129) }, 'eventId'],
    ['a 16-digit idZdc', (e) => { e.card.crous.idZdc = '1234567890123456' }, 'card.crous.idZdc'],
    ['a numeric idZdc', (e) => { e.card.crous.idZdc = 123 }, 'card.crous.idZdc'],
    ['a fractional idMapping', (e) => { e.card.crous.idMapping = 1.5 }, 'card.crous.idMapping'],
    ['a non-hex pixSs', (e) => { e.card.crous.pixSs = 'G1' }, 'card.crous.pixSs'],
    ['a valid ESCN', (e) => { e.card.escn = '50228de1-8944-1038-a3d5-001999465982' }, null],
    ['an ESCN of version 4', (e) => { e.card.escn = '50228de1-8944-4038-a3d5-001999465982' }, 'card.escn'],
    ['an issuedAt date-time', (e) => { e.card.issuedAt = '2026-09-01T00:00:00Z' }, 'card.issuedAt'],
    ['an unknown cardType', (e) => { e.card.cardType = 'PLASTIC' }, 'card.cardType'],
    ['a valid ESI', (e) => { e.holder.esi = 'urn:schac:personalUniqueCode:int:esi:fr:0123456789A' }, null],
    ['an ESI of another form', (e) => { e.holder.esi = 'FR-999859608-0123' }, 'holder.esi'],
    ['an ESI with a region scope', (e) => { e.holder.esi = 'urn:schac:personalUniqueCode:int:esi:FR-NOR:0123456789A' }, null],
    ['an ESI with a domain scope', (e) => { e.holder.esi = 'urn:schac:personalUniqueCode:int:esi:univ-rouen.fr:ab.12-3' }, null],
    ['an ESI without a scope', (e) => { e.holder.esi = 'urn:schac:personalUniqueCode:int:esi:0123456789A' }, 'holder.esi'],
    ['an ESI with a space', (e) => { e.holder.esi = 'urn:schac:personalUniqueCode:int:esi:fr:0123 456' }, 'holder.esi'],
    ['an ESI with %00', (e) => { e.holder.esi = 'urn:schac:personalUniqueCode:int:esi:fr:01%00' }, 'holder.esi'],
    ['a 256-character ESI', (e) => { e.holder.esi = `urn:schac:personalUniqueCode:int:esi:fr:${'1'.repeat(216)}` }, 'holder.esi'],
    ['a PIC of 10 digits', (e) => { e.holder.pic = '9998596081' }, 'holder.pic'],
    ['an ESCN of two parts', (e) => { e.card.escn = '50228de1-001999465982' }, 'card.escn'],
    ['an unknown academic level', (e) => { e.holder.academicLevel = 'LICENCE' }, 'holder.academicLevel'],
    ['an unknown holder field', (e) => { e.holder.phone = '0600000000' }, 'holder.phone'],
    ['missing consents', (e) => { delete e.holder.consents }, 'holder.consents'],
    ['an unknown disable reason', (e) => { e.card.disableReason = 'BROKEN' }, 'card.disableReason'],
  ]
  for (const [name, change, badField] of cases) {
    const event = cardEvent({ cardId: `rule-${name.length}` }) as unknown as Record<string, any>
    change(event)
    const response = await post(app, SINGLE, event)
    if (badField === null) {
      t.equal(response.statusCode, 202, `${name} is accepted`)
    } else {
      t.equal(response.statusCode, 400, `${name} is refused`)
      t.ok(response.json().errors?.some((error: { field: string }) => error.field === badField), `${name}: names ${badField}`)
    }
  }
  t.equal(intake.calls.length, cases.filter(([, , bad]) => bad === null).length, 'only valid events are handed over')
})

t.test('a body that is not JSON is a 400 problem once the signature is checked', async (t) => {
  const { app, intake } = await build(t)
  for (const payload of ['{"eventId": ', '', Buffer.from([0x7b, 0xff, 0x7d]).toString('latin1')]) {
    const response = await post(app, SINGLE, payload)
    t.equal(response.statusCode, 400, JSON.stringify(payload))
    t.match(response.json(), { type: 'https://leocarte.example/problems/malformed-json' })
  }
  t.equal(intake.calls.length, 0)
})

t.test('a missing, malformed, stale or wrong signature is a 401 problem, and nothing is handed over', async (t) => {
  const nowMs = 1_767_225_600_000
  const { app, intake } = await build(t, { now: () => nowMs })
  const nowSeconds = nowMs / 1000
  const event = cardEvent({ cardId: 'r6', occurredAt: new Date(nowMs - 600_000).toISOString() })
  const payload = JSON.stringify(event)
  const cases: Array<[string, Parameters<typeof post>[3], string]> = [
    ['missing', { signature: null }, 'signature-missing'],
    ['malformed', { signature: 'sha256=abc' }, 'signature-malformed'],
    ['stale (old)', { t: nowSeconds - 301 }, 'signature-stale'],
    ['stale (future)', { t: nowSeconds + 301 }, 'signature-stale'],
    ['wrong secret', { secret: 'other-secret', t: nowSeconds }, 'signature-mismatch'],
    ['another body', { signature: signBody(SECRET, payload.replace('ENABLED', 'DISABLED'), nowSeconds) }, 'signature-mismatch'],
  ]
  for (const [name, options, code] of cases) {
    const response = await post(app, SINGLE, payload, options)
    t.equal(response.statusCode, 401, name)
    t.match(response.headers['content-type'], /^application\/problem\+json/, name)
    t.ok(response.headers['www-authenticate'], `${name}: WWW-Authenticate`)
    t.match(response.json(), { type: `https://leocarte.example/problems/${code}`, status: 401, detail: String }, name)
  }
  t.equal((await post(app, SINGLE, payload, { t: nowSeconds - 299 })).statusCode, 202, 'within 5 minutes')
  t.equal(intake.calls.length, 1)
})

t.test('a bodyless request still needs a signature', async (t) => {
  const { app, intake } = await build(t)
  const response = await app.inject({ method: 'POST', url: SINGLE })
  t.equal(response.statusCode, 401)
  t.equal(intake.calls.length, 0)
})

t.test('both secrets of a rotation are accepted', async (t) => {
  const { app } = await build(t, { secrets: ['new-secret', 'old-secret'] })
  t.equal((await post(app, SINGLE, cardEvent(), { secret: 'old-secret' })).statusCode, 202)
  t.equal((await post(app, SINGLE, cardEvent(), { secret: 'new-secret' })).statusCode, 202)
  t.equal((await post(app, SINGLE, cardEvent(), { secret: SECRET })).statusCode, 401)
})

t.test('a body over the limit is a 413 problem', async (t) => {
  const { app, intake } = await build(t)
  const event = cardEvent({ cardId: 'r7' })
  event.holder.lastName = 'x'.repeat(64 * 1024)
  const response = await post(app, SINGLE, event)
  t.equal(response.statusCode, 413)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.match(response.json(), { type: 'https://leocarte.example/problems/body-too-large', status: 413 })

  const batch = { events: [event] }
  t.equal((await post(app, BATCH, batch)).statusCode, 202, 'the batch limit is larger')
  t.equal(intake.calls.length, 1)
})

t.test('the body limits are options', async (t) => {
  const { app } = await build(t, { bodyLimitBytes: 1024, batchBodyLimitBytes: 2048 })
  const event = cardEvent()
  event.holder.lastName = 'x'.repeat(1024)
  t.equal((await post(app, SINGLE, event)).statusCode, 413)
  t.equal((await post(app, BATCH, { events: [event] })).statusCode, 202)
  t.equal((await post(app, BATCH, { events: [event, event] })).statusCode, 413)
})

t.test('a body that is not JSON by its media type is a 415 problem', async (t) => {
  const { app, intake } = await build(t)
  const payload = JSON.stringify(cardEvent())
  const response = await app.inject({
    method: 'POST',
    url: SINGLE,
    headers: { 'content-type': 'text/plain', 'x-signature': signBody(SECRET, payload) },
    payload,
  })
  t.equal(response.statusCode, 415)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.equal(intake.calls.length, 0)
})

t.test('Redis unreachable is a 503 problem with Retry-After, and nothing is stored', async (t) => {
  const { app, intake } = await build(t)
  intake.failAfter = 0
  const response = await post(app, SINGLE, cardEvent({ eventId: 'evt-r8' }))
  t.equal(response.statusCode, 503)
  t.equal(response.headers['retry-after'], '5')
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.match(response.json(), { type: 'https://leocarte.example/problems/registry-unavailable', status: 503 })
  t.equal(intake.stored.size, 0)
})

t.test('an unexpected intake failure is a 500 problem that discloses nothing', async (t) => {
  const { app, intake } = await build(t)
  intake.accept = async () => { throw new Error('secret internals') }
  const response = await post(app, SINGLE, cardEvent())
  t.equal(response.statusCode, 500)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.same(response.json(), { type: 'about:blank', title: 'Internal Server Error', status: 500 })
})

t.test('logs carry the event and card ids, never personal data', async (t) => {
  const { app, logs } = await build(t)
  const event = cardEvent({ cardId: 'r9', eventId: 'evt-r9' })
  await post(app, SINGLE, event)
  const invalid = cardEvent({ cardId: 'r9' }) as unknown as Record<string, any>
  invalid.holder.birthDate = 'yesterday'
  await post(app, SINGLE, invalid)
  await post(app, BATCH, { events: [cardEvent({ cardId: 'r9', eventId: 'evt-r9-batch' })] })
  const text = logs.join('')
  t.match(text, /"eventId":"evt-r9","cardId":"r9"/)
  t.match(text, /"eventId":"evt-r9-batch","cardId":"r9"/)
  for (const personal of [event.holder.firstName, event.holder.lastName, event.holder.email, event.holder.birthDate, event.holder.ine, 'yesterday']) {
    t.notOk(text.includes(String(personal)), `no ${personal} in the logs`)
  }
})

t.test('a batch answers per event: valid ones accepted, invalid ones listed with their errors', async (t) => {
  const { app, intake } = await build(t)
  const known = cardEvent({ cardId: 'b1', eventId: 'evt-b-known' })
  await post(app, SINGLE, known)
  const invalid = cardEvent({ cardId: 'b2', eventId: 'evt-b-invalid' }) as unknown as Record<string, any>
  invalid.card.csn = 'zz'
  invalid.holder.consents.esc = 'no'
  const events = [
    cardEvent({ cardId: 'b1', eventId: 'evt-b-new' }),
    invalid,
    known,
    { ...known, card: { ...known.card, state: 'CADUC' } },
    42,
    { eventId: 'evt-b-bare' },
  ]
  const response = await post(app, BATCH, { events })
  t.equal(response.statusCode, 202)
  const { results } = response.json()
  t.same(results.map((result: { status: string }) => result.status), ['accepted', 'invalid', 'duplicate', 'conflict', 'invalid', 'invalid'])
  t.same(results.map((result: { index: number }) => result.index), [0, 1, 2, 3, 4, 5])
  t.same(results.map((result: { eventId: string | null }) => result.eventId),
    ['evt-b-new', 'evt-b-invalid', 'evt-b-known', 'evt-b-known', null, 'evt-b-bare'])
  t.same(new Set(results[1].errors.map((error: { field: string }) => error.field)), new Set(['card.csn', 'holder.consents.esc']))
  t.match(results[5].errors, [{ field: 'occurredAt' }, { field: 'card' }, { field: 'holder' }])
  t.equal(results[0].errors, undefined)
  t.notOk(intake.stored.has('evt-b-invalid'), 'the invalid event is not stored')
  t.equal(intake.calls.length, 1 + 3, 'only the valid events are handed over')
})

t.test('a batch envelope that is not {events: [1..1000]} is a 400 problem', async (t) => {
  const { app, intake } = await build(t)
  const tooMany = Array.from({ length: 1001 }, (_, index) => cardEvent({ cardId: `big-${index % 7}` }))
  const cases: Array<[string, unknown, string]> = [
    ['1001 events', { events: tooMany }, 'events'],
    ['no events', { events: [] }, 'events'],
    ['an array', [cardEvent()], '(root)'],
    ['events not an array', { events: {} }, 'events'],
    ['no events key', { event: [cardEvent()] }, 'events'],
  ]
  for (const [name, body, field] of cases) {
    const response = await post(app, BATCH, body)
    t.equal(response.statusCode, 400, name)
    t.match(response.headers['content-type'], /^application\/problem\+json/, name)
    t.ok(response.json().errors.some((error: { field: string }) => error.field === field), `${name}: names ${field}`)
  }
  t.equal(intake.calls.length, 0)
})

t.test('1000 events are accepted', async (t) => {
  const { app, intake } = await build(t)
  const events = Array.from({ length: 1000 }, (_, index) => cardEvent({ cardId: `k-${index % 100}` }))
  const response = await post(app, BATCH, { events })
  t.equal(response.statusCode, 202)
  t.ok(response.json().results.every((result: { status: string }) => result.status === 'accepted'))
  t.equal(intake.stored.size, 1000)
})

t.test('a batch is signed as a whole', async (t) => {
  const { app, intake } = await build(t)
  const body = JSON.stringify({ events: [cardEvent()] })
  const response = await post(app, BATCH, body, { signature: signBody(SECRET, body.replace('ENABLED', 'DISABLED')) })
  t.equal(response.statusCode, 401)
  t.equal(intake.calls.length, 0)
})

t.test('events of one card are accepted in array order; different cards run concurrently', async (t) => {
  const { app, intake } = await build(t)
  // Later events of a card answer faster, so any overtaking within a card would show.
  intake.delayMs = (event) => 12 - Number(event.eventId.split('-').at(-1))
  const events: CardEvent[] = []
  for (let step = 0; step < 6; step++) {
    for (const card of ['A', 'B', 'C', 'D']) {
      events.push(cardEvent({ cardId: `order-${card}`, eventId: `evt-${card}-${step}`, state: step % 2 === 0 ? 'ENABLED' : 'DISABLED' }))
    }
  }
  const response = await post(app, BATCH, { events })
  t.equal(response.statusCode, 202)
  for (const card of ['A', 'B', 'C', 'D']) {
    const order = intake.calls.filter((event) => event.card.id === `order-${card}`).map((event) => event.eventId)
    t.same(order, [0, 1, 2, 3, 4, 5].map((step) => `evt-${card}-${step}`), `card ${card} in order`)
  }
  t.equal(intake.maxInFlight, 4, 'the four cards ran concurrently')
})

t.test('batch concurrency is bounded', async (t) => {
  const { app, intake } = await build(t, { batchConcurrency: 3 })
  intake.delayMs = () => 2
  const events = Array.from({ length: 20 }, (_, index) => cardEvent({ cardId: `bound-${index}` }))
  t.equal((await post(app, BATCH, { events })).statusCode, 202)
  t.equal(intake.maxInFlight, 3)
})

t.test('a batch that stores nothing before Redis goes away is a 503 with Retry-After', async (t) => {
  const { app, intake } = await build(t)
  intake.failAfter = 0
  const response = await post(app, BATCH, { events: [cardEvent(), cardEvent()] })
  t.equal(response.statusCode, 503)
  t.equal(response.headers['retry-after'], '5')
  t.match(response.json(), { type: 'https://leocarte.example/problems/registry-unavailable' })
  t.equal(intake.stored.size, 0)
})

t.test('a batch cut short by Redis says which events were not stored', async (t) => {
  const { app, intake } = await build(t, { batchConcurrency: 1 })
  intake.failAfter = 2
  const events = [
    cardEvent({ cardId: 'cut-A', eventId: 'cut-A-0' }),
    cardEvent({ cardId: 'cut-A', eventId: 'cut-A-1' }),
    cardEvent({ cardId: 'cut-B', eventId: 'cut-B-0' }),
    cardEvent({ cardId: 'cut-A', eventId: 'cut-A-2' }),
    cardEvent({ cardId: 'cut-C', eventId: 'cut-C-0' }),
  ]
  const response = await post(app, BATCH, { events })
  t.equal(response.statusCode, 202)
  const statuses = Object.fromEntries(response.json().results.map((result: { eventId: string, status: string }) => [result.eventId, result.status]))
  t.same(statuses, { 'cut-A-0': 'accepted', 'cut-A-1': 'accepted', 'cut-A-2': 'unavailable', 'cut-B-0': 'unavailable', 'cut-C-0': 'unavailable' })
  t.same([...intake.stored.keys()], ['cut-A-0', 'cut-A-1'])
})

t.test('the options are checked when the plugin is built', async (t) => {
  const intake = new FakeIntake()
  t.throws(() => sgcIntakeRoutes({ intake, secrets: [] }), /secrets/)
  t.throws(() => sgcIntakeRoutes({ intake, secrets: [''] }), /secrets/)
  t.throws(() => sgcIntakeRoutes({ intake, secrets: ['s'], bodyLimitBytes: 0 }), /bodyLimitBytes/)
  t.throws(() => sgcIntakeRoutes({ intake, secrets: ['s'], batchConcurrency: 1.5 }), /batchConcurrency/)
})

t.test('the raw-body parser, signature check and error handler stay inside the plugin', async (t) => {
  const { app } = await build(t)
  await app.register(async (sibling) => {
    sibling.post('/other', async (request) => ({ echoed: request.body }))
  })
  const response = await app.inject({ method: 'POST', url: '/other', headers: { 'content-type': 'application/json' }, payload: '{"a":1}' })
  t.equal(response.statusCode, 200)
  t.same(response.json(), { echoed: { a: 1 } })
})
