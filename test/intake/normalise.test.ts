import t from 'tap'
import { canonicalJson, fingerprint, normaliseCardEvent } from '../../src/intake/normalise.ts'
import { cardEvent } from '../fixtures/card-events.ts'

t.test('the CSN is upper-cased and nothing else changes', async (t) => {
  const sent = cardEvent({ cardId: 'n1' })
  sent.card.csn = '04a1b2c3d4e5f6'
  sent.card.escn = '50228de1-8944-1038-a3d5-001999465982'
  const event = normaliseCardEvent(sent)
  t.equal(event.card.csn, '04A1B2C3D4E5F6')
  t.same({ ...event, card: { ...event.card, csn: undefined } }, { ...sent, card: { ...sent.card, csn: undefined } })
  t.equal(sent.card.csn, '04a1b2c3d4e5f6', 'the input is not modified')
})

t.test('an event without a CSN stays without one', async (t) => {
  const sent = cardEvent({ cardId: 'n2', state: 'DISABLED' })
  delete sent.card.csn
  t.notOk('csn' in normaliseCardEvent(sent).card)
})

t.test('canonical JSON sorts keys at every level and keeps array order', async (t) => {
  t.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}')
  t.equal(canonicalJson({ a: undefined, b: 1 }), '{"b":1}', 'an undefined member hashes like an absent one')
})

t.test('the fingerprint ignores key order and CSN case', async (t) => {
  const sent = cardEvent({ cardId: 'n3', eventId: 'evt-n3' })
  const reordered = JSON.parse(JSON.stringify({
    holder: Object.fromEntries(Object.entries(sent.holder).reverse()),
    card: { ...Object.fromEntries(Object.entries(sent.card).reverse()), csn: sent.card.csn?.toLowerCase() },
    occurredAt: sent.occurredAt,
    eventId: sent.eventId,
  }))
  const first = fingerprint(normaliseCardEvent(sent))
  t.match(first, /^[0-9a-f]{64}$/)
  t.equal(fingerprint(normaliseCardEvent(reordered)), first)
})

t.test('the fingerprint changes with any value', async (t) => {
  const sent = cardEvent({ cardId: 'n4', eventId: 'evt-n4' })
  const base = fingerprint(normaliseCardEvent(sent))
  t.not(fingerprint(normaliseCardEvent({ ...sent, occurredAt: '2020-01-01T00:00:00Z' })), base)
  t.not(fingerprint(normaliseCardEvent({ ...sent, card: { ...sent.card, state: 'DISABLED' } })), base)
  t.not(fingerprint(normaliseCardEvent({ ...sent, holder: { ...sent.holder, consents: { crous: false, esc: false } } })), base)
  t.equal(fingerprint(normaliseCardEvent(structuredClone(sent))), base, 'and not with a copy')
})

t.test('an ESCN in upper case is kept lower-case, and fingerprints as the same event', async (t) => {
  const escn = '50228de1-8944-1038-a3d5-001999465982'
  const lower = normaliseCardEvent({ eventId: 'e', occurredAt: '2026-11-28T10:00:00Z', card: { id: 'c', state: 'DISABLED', escn }, holder: { eppn: 'e@x', consents: { crous: true, esc: true } } })
  const upper = normaliseCardEvent({ eventId: 'e', occurredAt: '2026-11-28T10:00:00Z', card: { id: 'c', state: 'DISABLED', escn: escn.toUpperCase() }, holder: { eppn: 'e@x', consents: { crous: true, esc: true } } })
  t.equal(upper.card.escn, escn)
  t.equal(fingerprint(upper), fingerprint(lower))
})
