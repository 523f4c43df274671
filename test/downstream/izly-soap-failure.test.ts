import t from 'tap'
import { readSoapFailure } from '../../src/downstream/izly/soap-failure.ts'
import { parseRetryAfter } from '../../src/downstream/retry-after.ts'

function faultError (detail: unknown, status = 500, faultcode = 'soap:Client') {
  return { root: { Envelope: { Body: { Fault: { faultcode, faultstring: 'x', detail } } } }, response: { status, headers: {} } }
}

t.test('an IzlyFault detail is read whatever node-soap typed its values as', async (t) => {
  const asText = faultError({ IzlyFault: { httpStatus: '422', code: '-42', message: 'Client inconnu', field: 'identifier', retryable: 'false' } })
  t.same(readSoapFailure(asText, 1000), { kind: 'izly-fault', httpStatus: 422, code: '-42', message: 'Client inconnu', field: 'identifier', retryable: false })
  const typed = faultError({ IzlyFault: { httpStatus: 503, code: { $value: 'HTTP_503' }, message: 'down', retryable: true } })
  t.same(readSoapFailure(typed, 1000), { kind: 'izly-fault', httpStatus: 503, code: 'HTTP_503', message: 'down', retryable: true })
})

t.test('a SOAP fault without our detail', async (t) => {
  t.same(readSoapFailure(faultError(undefined, 500, 'soap:Server'), 1000), { kind: 'soap-fault', faultcode: 'soap:Server', transportStatus: 500 })
  t.same(readSoapFailure(faultError({ Other: {} }, 401, 'wsse:FailedAuthentication'), 1000), { kind: 'soap-fault', faultcode: 'wsse:FailedAuthentication', transportStatus: 401 })
})

t.test('an HTTP error without a fault, with Retry-After', async (t) => {
  t.same(readSoapFailure({ response: { status: 503, headers: { 'retry-after': '3' } } }, 1000), { kind: 'http', status: 503, retryAfterMs: 3000 })
  t.same(readSoapFailure({ response: { status: 404, headers: {} } }, 1000), { kind: 'http', status: 404 })
  t.same(readSoapFailure({ response: { status: 200, headers: {} } }, 1000), { kind: 'invalid-response', status: 200 })
})

t.test('network errors and timeouts', async (t) => {
  t.same(readSoapFailure({ code: 'ECONNREFUSED' }, 1000), { kind: 'network', code: 'ECONNREFUSED' })
  t.same(readSoapFailure(new Error('boom'), 1000), { kind: 'network', code: 'NETWORK_ERROR' })
  for (const code of ['ERR_CANCELED', 'ECONNABORTED', 'ETIMEDOUT']) {
    t.same(readSoapFailure({ code }, 1500), { kind: 'timeout', afterMs: 1500 }, code)
  }
})

t.test('Retry-After as seconds or as an HTTP date', async (t) => {
  const now = Date.parse('2025-01-01T00:00:00Z')
  t.equal(parseRetryAfter('120', now), 120_000)
  t.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now), 30_000)
  t.equal(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now), 0, 'a past date means now')
  t.equal(parseRetryAfter('soon', now), undefined)
  t.equal(parseRetryAfter(undefined, now), undefined)
})
