import t from 'tap'
import type { CardRecord } from '../../src/domain/card-record.ts'
import { DownstreamError } from '../../src/downstream/errors.ts'
import { maskedFault } from '../../src/downstream/holder-mask.ts'
import { cardEvent } from '../fixtures/card-events.ts'

function recordOf (holder: Partial<CardRecord['holder']>): CardRecord {
  const event = cardEvent()
  return { version: 1, card: event.card, holder: { ...event.holder, ...holder }, occurredAtMs: 0, occurredAt: event.occurredAt, eventId: event.eventId, acceptedAtMs: 0 }
}

function masked (message: string, holder: Partial<CardRecord['holder']>, extra: { code?: string, field?: string } = {}): DownstreamError {
  return maskedFault(new DownstreamError({ downstream: 'esc', code: extra.code ?? 'ER-0007', message, transient: false, httpStatus: 400, ...(extra.field === undefined ? {} : { field: extra.field }) }), recordOf(holder))
}

t.test('every value held about the holder is masked, whatever its case and accents; codes and statuses stay', async (t) => {
  const fault = masked('Personne ÉLOÏSE d\'arcy (eloise.darcy@etu.example.fr, 1999-12-31 / 31/12/1999) déjà inscrite', { firstName: 'Éloïse', lastName: 'D\'Arcy', email: 'eloise.darcy@etu.example.fr', birthDate: '1999-12-31' })
  t.equal(fault.message, 'Personne <holder> (<holder>, <holder> / <holder>) déjà inscrite', 'the full name in other case and accents, the e-mail, the birth date in two forms')
  t.match(fault, { code: 'ER-0007', httpStatus: 400, transient: false, downstream: 'esc' })
})

t.test('a URL-encoded ESI or eppn is masked too, and a code or field holding a value', async (t) => {
  const esi = 'urn:schac:personalUniqueCode:int:esi:fr:QX77'
  const fault = masked(`GET /persons/${encodeURIComponent(esi)} refused for jdoe77@univ.fr`, { esi, eppn: 'jdoe77@univ.fr' }, { code: 'BAD-jdoe77@univ.fr', field: 'Martin' })
  t.notMatch(fault.message, /QX77|jdoe77/)
  t.notMatch(fault.code, /jdoe77/)
  t.equal(fault.field, '<holder>', 'the field named the holder: masked')
})

t.test('a short name part is masked only as a whole word', async (t) => {
  const fault = masked('Link to Li Wu failed', { firstName: 'Li', lastName: 'Wu' })
  t.equal(fault.message, 'Link to <holder> failed')
})
