// The foreign-card path against the project's ESC Router simulator (the router stand-in of the other
// validity tests only serves the status endpoint): cards another institution registered through the
// router API are checked through its public status, with no token.
import t from 'tap'
import { startEscSimulator } from '../../src/simulators/esc/server.ts'
import { escnOf } from '../helpers/router-status-stub.ts'
import { startValidityGateway } from '../helpers/validity.ts'

const TOKEN = 'abroad-institution-token'
const PIC = '123456789'

t.test('ACTIVE, INACTIVE and unknown cards, and an outage, as the ESC Router simulator answers them', async (t) => {
  const router = await startEscSimulator({ token: TOKEN, pic: PIC })
  t.teardown(async () => await router.close())
  const call = async (method: string, path: string, body: unknown): Promise<number> => {
    const response = await fetch(`${router.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    await response.arrayBuffer()
    return response.status
  }
  const esi = 'urn:schac:personalUniqueCode:int:esi:de:12345'
  t.equal(await call('POST', '/api/v2/persons', { identifier: esi, identifierCode: 'ESI', personOrganisationUpdateViews: [{ organisationIdentifier: PIC, academicLevel: 'MASTER' }] }), 201)
  const card = (escn: string, status: string, expiresAt: string) => ({ cardNumber: escn, cardStatusType: status, cardType: 'SMART_NO_CDZ', issuedAt: '2025-09-01', expiresAt, issuerIdentifier: PIC, personIdentifier: esi })
  const active = escnOf(4001, PIC)
  const inactive = escnOf(4002, PIC)
  t.equal(await call('POST', '/api/v2/cards', card(active, 'ACTIVE', '2099-06-30')), 201)
  t.equal(await call('POST', '/api/v2/cards', card(inactive, 'INACTIVE', '2099-06-30')), 201)

  const gateway = await startValidityGateway(t, { routerUrl: router.url })
  t.match(await gateway.rest(`/crous/v1/cards/${active}/validity`), { status: 200, body: { valid: true, state: 'ACTIVE', source: 'esc-router', expiresAt: '2099-06-30', issuer: { identifier: PIC } } })
  t.match(await gateway.rest(`/crous/v1/validity?qr=${encodeURIComponent(`http://esc.gg/${inactive}`)}`), { status: 200, body: { valid: false, state: 'INACTIVE', reason: 'INACTIVE' } })
  t.match(await gateway.rest(`/crous/v1/cards/${escnOf(4003, PIC)}/validity`), { status: 404, body: { type: /unknown-card$/ } })

  router.setOutage('http503')
  t.match(await gateway.rest(`/crous/v1/cards/${escnOf(4004, PIC)}/validity`), { status: 503, body: { type: /router-unavailable$/ } })
})
