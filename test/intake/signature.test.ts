import t from 'tap'
import { createHmac } from 'node:crypto'
import { signBody, verifySignature } from '../../src/intake/signature.ts'

const body = Buffer.from('{"eventId":"e1"}')
const nowMs = 1_767_225_600_000
const t0 = nowMs / 1000
const secrets = ['current-secret']

function check (header: string | undefined, options: { rawBody?: Buffer, secrets?: readonly string[], nowMs?: number } = {}) {
  return verifySignature({ header, rawBody: options.rawBody ?? body, secrets: options.secrets ?? secrets, nowMs: options.nowMs ?? nowMs })
}

t.test('signBody follows the documented format', async (t) => {
  const expected = createHmac('sha256', 'current-secret').update(`${t0}.${body.toString()}`).digest('hex')
  t.equal(signBody('current-secret', body, t0), `t=${t0},v1=${expected}`)
  t.equal(signBody('current-secret', body.toString(), t0), `t=${t0},v1=${expected}`, 'string and bytes sign alike')
})

t.test('a valid signature passes', async (t) => {
  t.same(check(signBody('current-secret', body, t0)), { ok: true })
})

t.test('during a rotation either secret is accepted', async (t) => {
  const rotation = ['new-secret', 'old-secret']
  t.same(check(signBody('old-secret', body, t0), { secrets: rotation }), { ok: true })
  t.same(check(signBody('new-secret', body, t0), { secrets: rotation }), { ok: true })
  const both = `t=${t0},v1=${signBody('gone', body, t0).split('v1=')[1]},v1=${signBody('new-secret', body, t0).split('v1=')[1]}`
  t.same(check(both, { secrets: rotation }), { ok: true }, 'several v1 entries: one match is enough')
})

t.test('a time more than 300 s away is stale, in both directions', async (t) => {
  t.same(check(signBody('current-secret', body, t0 - 300)), { ok: true }, '300 s old is still fresh')
  t.same(check(signBody('current-secret', body, t0 + 300)), { ok: true }, '300 s ahead is still fresh')
  t.match(check(signBody('current-secret', body, t0 - 301)), { ok: false, reason: 'stale' })
  t.match(check(signBody('current-secret', body, t0 + 301)), { ok: false, reason: 'stale' })
})

t.test('a wrong secret or a changed body is a mismatch', async (t) => {
  t.match(check(signBody('another-secret', body, t0)), { ok: false, reason: 'mismatch' })
  t.match(check(signBody('current-secret', body, t0), { rawBody: Buffer.from('{"eventId":"e2"}') }), { ok: false, reason: 'mismatch' })
  const moved = signBody('current-secret', body, t0).replace(`t=${t0}`, `t=${t0 + 1}`)
  t.match(check(moved), { ok: false, reason: 'mismatch' }, 'the time is signed too')
  t.match(check(signBody('another-secret', body, t0 - 10_000)), { ok: false, reason: 'mismatch' }, 'a forgery is a mismatch, not stale')
})

t.test('a garbled header is malformed', async (t) => {
  const v1 = signBody('current-secret', body, t0).split('v1=')[1] ?? ''
  for (const header of [
    'garbage',
    `v1=${v1}`,
    `t=${t0}`,
    `t=abc,v1=${v1}`,
    `t=-5,v1=${v1}`,
    `t=${t0},v1=${v1.slice(1)}`,
    `t=${t0},v1=${v1.toUpperCase()}`,
    `t=${t0},t=${t0},v1=${v1}`,
    `t=${t0};v1=${v1}`,
  ]) {
    t.match(check(header), { ok: false, reason: 'malformed' }, header)
  }
  t.match(verifySignature({ header: [`t=${t0},v1=${v1}`, `t=${t0},v1=${v1}`], rawBody: body, secrets, nowMs }),
    { ok: false, reason: 'malformed' }, 'a repeated header')
})

t.test('spaces after the comma are tolerated', async (t) => {
  const header = signBody('current-secret', body, t0).replace(',', ', ')
  t.same(check(header), { ok: true })
})

t.test('a missing header is reported as missing', async (t) => {
  t.match(check(undefined), { ok: false, reason: 'missing' })
  t.match(check(''), { ok: false, reason: 'missing' })
})
