import { readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import t from 'tap'
import { parse as parseYaml } from 'yaml'
import {
  ESI_PATTERN, esiFromIne, isCalendarDate, isEscCardType, isEscn, isEsi, isExpired, isPic, personRef, picOfEscn, sameEsi,
} from '../../src/domain/esc-identifiers.ts'
import { pseudonymiser } from '../../src/domain/pseudonym.ts'
import { GATEWAY_OPENAPI_URL } from '../../src/intake/card-event-schema.ts'

t.test('ESI: prefix, a country, region or domain scope, URN characters, at most 255', async (t) => {
  const valid = [
    'urn:schac:personalUniqueCode:int:esi:fr:0123456789A',
    'urn:schac:personalUniqueCode:int:esi:FR:0123456789A',
    'urn:schac:personalUniqueCode:int:esi:HR:0036512345',
    'urn:schac:personalUniqueCode:int:esi:FR-NOR:12345',
    'urn:schac:personalUniqueCode:int:esi:lmu.de:ab-12_3',
    'urn:schac:personalUniqueCode:int:esi:studium.uni-rostock.de:x:y:z',
    "urn:schac:personalUniqueCode:int:esi:fr:a(b)+c,d-e.f:g=h@i;j$k_l!m*n'o",
    'urn:schac:personalUniqueCode:int:esi:fr:caf%C3%A9',
    `urn:schac:personalUniqueCode:int:esi:fr:${'9'.repeat(255 - 40)}`,
  ]
  for (const esi of valid) t.ok(isEsi(esi), `valid: ${esi.slice(0, 70)}`)
  const invalid = [
    'FR-999859608-0123', // the old format, which this gateway never sends
    'urn:schac:personalUniqueCode:int:esi:fr:', // no code
    'urn:schac:personalUniqueCode:int:esi:0123456789A', // no scope
    'urn:schac:personalUniqueCode:int:esi:f:0123', // one-letter scope
    'urn:schac:personalUniqueCode:int:esi:fr:01 23', // space
    'urn:schac:personalUniqueCode:int:esi:fr:01/23', // reserved character
    'urn:schac:personalUniqueCode:int:esi:fr:01%00', // %00 is forbidden
    'urn:schac:personalUniqueCode:int:esi:fr:01%G1', // not an escape
    'urn:schac:personalUniqueCode:int:esi:fr:José', // not URN characters
    'urn:schac:homeOrganization:int:esi:fr:0123',
    `urn:schac:personalUniqueCode:int:esi:fr:${'9'.repeat(256 - 40)}`, // 256 characters
  ]
  for (const esi of invalid) t.notOk(isEsi(esi), `invalid: ${esi.slice(0, 70)}`)
  t.equal(esiFromIne('0123456789A'), 'urn:schac:personalUniqueCode:int:esi:fr:0123456789A', 'the INE makes the French ESI ESUP-SGC sends')
})

t.test('ESIs compare case-insensitively (SCHAC caseIgnoreMatch), and so do their references', async (t) => {
  t.ok(sameEsi('urn:schac:personalUniqueCode:int:esi:FR:0123456789a', 'urn:schac:personalUniqueCode:int:esi:fr:0123456789A'))
  t.notOk(sameEsi('urn:schac:personalUniqueCode:int:esi:fr:1', 'urn:schac:personalUniqueCode:int:esi:fr:2'))
  const keyed = pseudonymiser('a-pseudonym-key-of-at-least-32-characters', 'person-ref')
  t.equal(personRef('urn:schac:personalUniqueCode:int:esi:FR:X', keyed), personRef('urn:schac:personalUniqueCode:int:esi:fr:x', keyed))
  t.match(personRef('urn:schac:personalUniqueCode:int:esi:fr:x', keyed), /^[0-9a-f]{16}$/)
})

t.test('the person reference is keyed: without the key, hashing every ESI does not find it', async (t) => {
  const esi = 'urn:schac:personalUniqueCode:int:esi:fr:0123456789A'
  const one = personRef(esi, pseudonymiser('a-pseudonym-key-of-at-least-32-characters', 'person-ref'))
  const other = personRef(esi, pseudonymiser('another-pseudonym-key-of-32-characters!', 'person-ref'))
  t.not(one, other, 'another key, another reference')
  t.not(one, createHash('sha256').update(esi.toLowerCase()).digest('hex').slice(0, 16), 'not the plain SHA-256 of the ESI')
  t.not(one, pseudonymiser('a-pseudonym-key-of-at-least-32-characters', 'holder-key')(esi.toLowerCase()).slice(0, 16), 'each purpose its own hash')
  t.throws(() => pseudonymiser('short', 'person-ref'), /at least 32 characters/)
})

t.test('the intake schema and the domain hold the same ESI rule', async (t) => {
  const document = parseYaml(readFileSync(GATEWAY_OPENAPI_URL, 'utf8')) as { components: { schemas: { Holder: { properties: { esi: { pattern: string, maxLength: number } } } } } }
  const esi = document.components.schemas.Holder.properties.esi
  t.equal(esi.pattern, ESI_PATTERN.source, 'openapi/gateway.yaml Holder.esi pattern is ESI_PATTERN')
  t.equal(esi.maxLength, 255)
})

t.test('PIC: exactly 9 digits', async (t) => {
  t.ok(isPic('999859608'))
  for (const bad of ['99985960', '9998596080', '99985960a', ' 99985960']) t.notOk(isPic(bad), bad)
})

t.test('ESCN: version-1 UUID form ending in prefix and PIC; its embedded time is never checked', async (t) => {
  // Real and published ESCNs: their times decode to the 1630s (the official generators' unit bug).
  for (const escn of ['50228de1-8944-1038-a3d5-001999465982', '3e506370-826a-103d-bf76-001000000001']) t.ok(isEscn(escn), escn)
  t.equal(picOfEscn('50228de1-8944-1038-a3d5-001999465982'), '999465982')
  const bad = [
    '50228de1-8944-4038-a3d5-001999465982', // version 4
    '50228de1-8944-1038-c3d5-001999465982', // not the RFC 4122 variant
    '50228de1-8944-1038-a3d5-00199946598a', // node not decimal
    '50228DE1-8944-1038-A3D5-001999465982', // upper case
    '50228de189441038a3d5001999465982', // the chip's 32-hex form
  ]
  for (const escn of bad) t.notOk(isEscn(escn), escn)
})

t.test('dates are real YYYY-MM-DD days; a card expires after its last day', async (t) => {
  t.ok(isCalendarDate('2028-02-29'))
  for (const bad of ['2027-02-29', '2026-13-01', '2026-9-01', '2026-09-01T00:00:00Z', '01/09/2026']) t.notOk(isCalendarDate(bad), bad)
  t.notOk(isExpired('2026-11-28', '2026-11-28'), 'still valid on its expiry day')
  t.ok(isExpired('2026-11-27', '2026-11-28'))
})

t.test('card types are the router enum', async (t) => {
  t.ok(isEscCardType('SMART_PASSIVE_EMULATION'))
  t.notOk(isEscCardType('smart_cdz'))
})
