// A SOAP client built from the WSDL the gateway serves (node-soap, as a CROUS integrator would use any
// mainstream stack) calls CheckCardValidity and gets typed answers and the declared faults.
import { type Client, createClientAsync, WSSecurity } from 'soap'
import t, { type Test } from 'tap'
import { cardEvent } from '../fixtures/card-events.ts'
import { escnOf, startRouterStatusStub } from '../helpers/router-status-stub.ts'
import { checkEnvelope, SOAP_USER, startValidityGateway, type ValidityGateway } from '../helpers/validity.ts'

async function listening (t: Test, options: Parameters<typeof startValidityGateway>[1] = {}): Promise<ValidityGateway & { base: string }> {
  const gateway = await startValidityGateway(t, options)
  const base = await gateway.app.listen({ host: '127.0.0.1', port: 0 })
  return Object.assign(gateway, { base })
}

async function clientOf (base: string, passwordType: 'PasswordText' | 'PasswordDigest' = 'PasswordDigest', password = SOAP_USER.password): Promise<Client> {
  const client = await createClientAsync(`${base}/crous/v1/soap?wsdl`)
  client.setSecurity(new WSSecurity(SOAP_USER.user, password, { passwordType, hasNonce: true, hasTokenCreated: true }))
  return client
}

/** The fault node-soap parsed from an error answer. */
async function faultOf (call: Promise<unknown>): Promise<{ status: number | undefined, fault: any }> {
  try {
    await call
  } catch (error) {
    const { root, response } = error as { root?: any, response?: { status?: number } }
    return { status: response?.status, fault: root?.Envelope?.Body?.Fault }
  }
  throw new Error('expected a fault')
}

t.test('the served WSDL describes this gateway, and node-soap reads it', async (t) => {
  const gateway = await listening(t)
  const wsdl = await fetch(`${gateway.base}/crous/v1/soap?wsdl`)
  t.equal(wsdl.status, 200)
  t.match(wsdl.headers.get('content-type'), /^text\/xml/)
  const text = await wsdl.text()
  t.match(text, `<soap:address location="${gateway.base}/crous/v1/soap"/>`)
  t.match(text, `<soap12:address location="${gateway.base}/crous/v1/soap"/>`)
  const client = await clientOf(gateway.base)
  const description = client.describe() as any
  t.ok(description.CrousCardValidityService.CrousCardValiditySoap11Port.CheckCardValidity, 'SOAP 1.1 port')
  t.ok(description.CrousCardValidityService.CrousCardValiditySoap12Port.CheckCardValidity, 'SOAP 1.2 port')

  const behindProxy = await listening(t, { extra: { PUBLIC_BASE_URL: 'https://leocarte-gw.univ-rouen.fr/' } })
  t.match(await (await fetch(`${behindProxy.base}/crous/v1/soap?wsdl`)).text(), '<soap:address location="https://leocarte-gw.univ-rouen.fr/crous/v1/soap"/>', 'PUBLIC_BASE_URL wins')
})

t.test('typed answers for every identifier form, PasswordDigest and PasswordText', async (t) => {
  const router = await startRouterStatusStub(t)
  const gateway = await listening(t, { routerUrl: router.baseUrl })
  const opposed = cardEvent({ state: 'DISABLED', disableReason: 'THEFT', occurredAt: '2026-11-28T10:15:00+01:00' })
  opposed.card.escn = escnOf(5001, '999900001')
  opposed.card.expiresAt = '2099-08-31'
  await gateway.post(opposed)
  const foreign = escnOf(5002, '123456789')
  router.put({ cardNumber: foreign, status: 'ACTIVE', expiresAt: '2099-06-30', issuerIdentifier: '123456789', issuerName: 'Universität Beispiel' })

  for (const passwordType of ['PasswordDigest', 'PasswordText'] as const) {
    const client = await clientOf(gateway.base, passwordType)
    for (const cardId of [opposed.card.csn, opposed.card.crous?.idZdc, opposed.card.escn]) {
      const [result] = await client.CheckCardValidityAsync({ cardId })
      const validity = result.validity
      t.equal(validity.valid, false, `${passwordType} ${cardId}: valid is a boolean`)
      t.equal(validity.reason, 'THEFT')
      t.equal(validity.state, 'DISABLED')
      t.equal(validity.source, 'registry')
      t.ok(validity.since instanceof Date && validity.since.getTime() === Date.parse('2026-11-28T10:15:00+01:00'), 'since is a date-time')
      t.ok(validity.expiresAt instanceof Date, 'expiresAt is a date')
    }
    const [byType] = await client.CheckCardValidityAsync({ cardId: opposed.card.crous?.idZdc, idType: 'idZdc' })
    t.equal(byType.validity.idType, 'idZdc')

    const [abroad] = await client.CheckCardValidityAsync({ cardId: foreign })
    t.match(abroad.validity, { valid: true, state: 'ACTIVE', source: 'esc-router', issuer: { identifier: '123456789', name: 'Universität Beispiel' } })
    t.equal(abroad.validity.since, undefined, 'no since for a foreign card')
  }
})

t.test('the SOAP 1.2 binding answers in SOAP 1.2', async (t) => {
  const gateway = await listening(t)
  const event = cardEvent({ state: 'ENABLED' })
  await gateway.post(event)
  const client = await createClientAsync(`${gateway.base}/crous/v1/soap?wsdl`, { forceSoap12Headers: true })
  client.setSecurity(new WSSecurity(SOAP_USER.user, SOAP_USER.password, { passwordType: 'PasswordDigest', hasNonce: true }))
  const port = (client as any).CrousCardValidityService.CrousCardValiditySoap12Port
  const result = await new Promise<any>((resolve, reject) => port.CheckCardValidity({ cardId: event.card.csn }, (error: unknown, answer: unknown) => error ? reject(error) : resolve(answer)))
  t.equal(result.validity.valid, true)
  t.match(client.lastRequest, 'http://www.w3.org/2003/05/soap-envelope')
  t.match(client.lastResponseHeaders?.['content-type'], /^application\/soap\+xml/)

  const unknown = await faultOf(new Promise((resolve, reject) => port.CheckCardValidity({ cardId: '0A0B0C0D' }, (error: unknown, answer: unknown) => error ? reject(error) : resolve(answer))))
  t.equal(unknown.status, 400, 'a Sender fault is HTTP 400 in SOAP 1.2')
  t.match(unknown.fault, { Code: { Value: 'soap:Sender' }, Detail: { UnknownCard: { cardId: '0A0B0C0D' } } })
})

t.test('declared faults: UnknownCard, InvalidRequest, RouterUnavailable', async (t) => {
  const router = await startRouterStatusStub(t)
  const gateway = await listening(t, { routerUrl: router.baseUrl })
  const client = await clientOf(gateway.base)

  const unknown = await faultOf(client.CheckCardValidityAsync({ cardId: '0A0B0C0D' }))
  t.equal(unknown.status, 500, 'SOAP 1.1 faults are HTTP 500 (WS-I BP R1126)')
  t.match(unknown.fault, { faultcode: 'soap:Client', detail: { UnknownCard: { cardId: '0A0B0C0D' } } })

  const invalid = await faultOf(client.CheckCardValidityAsync({ cardId: 'not-a-card' }))
  t.match(invalid.fault, { faultcode: 'soap:Client', detail: { InvalidRequest: { code: 'invalid-card-id' } } })

  const foreignUnknown = await faultOf(client.CheckCardValidityAsync({ cardId: escnOf(6001) }))
  t.match(foreignUnknown.fault, { detail: { UnknownCard: { cardId: escnOf(6001) } } }, 'unknown at the router too')

  router.outage = 503
  const down = await faultOf(client.CheckCardValidityAsync({ cardId: escnOf(6002) }))
  t.match(down.fault, { faultcode: 'soap:Server', detail: { RouterUnavailable: { cardId: escnOf(6002), retryAfterSeconds: /^\d+$/, message: /HTTP 503/ } } })
  router.outage = 'off'
  router.latencyMs = 1000
  const slow = await faultOf(client.CheckCardValidityAsync({ cardId: escnOf(6003) }))
  t.match(slow.fault, { detail: { RouterUnavailable: { message: /did not answer within 300 ms/ } } })
})

t.test('WS-Security: bad credentials, stale or replayed tokens, no token, no users configured', async (t) => {
  const gateway = await listening(t)
  const wrong = await faultOf((await clientOf(gateway.base, 'PasswordDigest', 'wrong')).CheckCardValidityAsync({ cardId: '0A0B0C0D' }))
  t.match(wrong.fault, { faultcode: 'wsse:FailedAuthentication' })

  const bare = await createClientAsync(`${gateway.base}/crous/v1/soap?wsdl`)
  t.match((await faultOf(bare.CheckCardValidityAsync({ cardId: '0A0B0C0D' }))).fault, { faultcode: 'wsse:FailedAuthentication', faultstring: /required/ })

  const stale = await gateway.soap(checkEnvelope('0A0B0C0D', { auth: 'PasswordDigest', created: new Date(Date.now() - 6 * 60_000).toISOString() }))
  t.equal(stale.status, 500)
  t.match(stale.body, /<faultcode xmlns:wsse="[^"]+">wsse:MessageExpired<\/faultcode>/)
  const future = await gateway.soap(checkEnvelope('0A0B0C0D', { auth: 'PasswordDigest', created: new Date(Date.now() + 5 * 60_000).toISOString() }))
  t.match(future.body, /wsse:MessageExpired/)

  const once = checkEnvelope('0A0B0C0D', { auth: 'PasswordDigest' })
  t.match((await gateway.soap(once)).body, /UnknownCard/, 'first use: authenticated')
  t.match((await gateway.soap(once)).body, /wsse:FailedAuthentication.*already used/, 'replayed: refused')

  const closed = await startValidityGateway(t, { extra: { CROUS_SOAP_USERS: '' } })
  const refused = await closed.soap(checkEnvelope('0A0B0C0D'))
  t.match(refused.body, /wsse:FailedAuthentication<\/faultcode><faultstring>the SOAP interface is closed/)
})

t.test('SOAP rules: mustUnderstand, one operation, media types, GET without ?wsdl', async (t) => {
  const gateway = await startValidityGateway(t)
  const mandatory = await gateway.soap(checkEnvelope('0A0B0C0D', { headers: '<a:Action xmlns:a="http://www.w3.org/2005/08/addressing" e:mustUnderstand="1">x</a:Action>' }))
  t.match(mandatory.body, /<faultcode>soap:MustUnderstand<\/faultcode>/)
  const optional = await gateway.soap(checkEnvelope('0A0B0C0D', { headers: '<a:Action xmlns:a="http://www.w3.org/2005/08/addressing">x</a:Action>' }))
  t.match(optional.body, /UnknownCard/, 'an optional header block is ignored')

  const other = await gateway.soap(checkEnvelope('0A0B0C0D').replace(/CheckCardValidity>/g, 'GetCard>'))
  t.match(other.body, /<code>invalid-request<\/code>/)
  const badType = await gateway.soap(checkEnvelope('0A0B0C0D', { idType: 'uid' }))
  t.match(badType.body, /<code>invalid-id-type<\/code>/)
  const noId = await gateway.soap(checkEnvelope(''))
  t.match(noId.body, /cardId is required/)
  const notSoap = await gateway.soap('<Envelope xmlns="urn:not-soap"><Body/></Envelope>')
  t.match(notSoap, { status: 400, body: /not a SOAP 1.1 or 1.2 Envelope/ })

  const json = await gateway.app.inject({ method: 'POST', url: '/crous/v1/soap', payload: '{}', headers: { 'content-type': 'application/json' } })
  t.equal(json.statusCode, 415)
  t.match(json.body, /<faultcode>soap:Client<\/faultcode>/)
  const none = await gateway.app.inject({ method: 'POST', url: '/crous/v1/soap', payload: checkEnvelope('0A0B0C0D') })
  t.match(none.statusCode, 415, 'no Content-Type')
  const huge = await gateway.app.inject({ method: 'POST', url: '/crous/v1/soap', payload: 'x'.repeat(100_000), headers: { 'content-type': 'text/xml' } })
  t.equal(huge.statusCode, 413)
  t.match(huge.body, /<faultstring>the request is over 16384 bytes<\/faultstring>/)

  const plain = await gateway.app.inject({ method: 'GET', url: '/crous/v1/soap' })
  t.equal(plain.statusCode, 200)
  t.match(plain.body, /<wsdl:definitions/)
})
