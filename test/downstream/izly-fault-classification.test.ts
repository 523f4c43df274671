import t from 'tap'
import {
  classifyIzlyFailure, IZLY_ERROR_CODES, type IzlyFailure, isTransientStatus,
} from '../../src/downstream/izly/fault-classification.ts'

function izlyFault (httpStatus: number, code: string, retryable = false): IzlyFailure {
  return { kind: 'izly-fault', httpStatus, code, message: 'm', retryable }
}

t.test('every Izly code of izly-crous.md §4 is permanent, and keeps its code', async (t) => {
  const codes = ['-8', '-9', '-11', '-31', '-41', '-42', '-117']
  t.same(Object.keys(IZLY_ERROR_CODES).sort(), [...codes].sort(), 'the catalogue lists exactly the documented codes')
  for (const code of codes) {
    t.same(classifyIzlyFailure(izlyFault(422, code)), { transient: false, code, httpStatus: 422 }, `422 ${code}`)
  }
  t.same(classifyIzlyFailure(izlyFault(422, '-99')), { transient: false, code: '-99', httpStatus: 422 }, 'an undocumented 422 code is permanent too')
})

t.test('API CROUS statuses without a code', async (t) => {
  const cases: Array<[number, boolean]> = [
    [400, false], [401, true], [403, true], [404, false], [405, false], [406, false], [408, true], [409, false],
    [410, false], [413, false], [422, false], [423, false], [429, true], [462, false],
    [500, true], [501, true], [502, true], [503, true], [504, true], [599, true],
  ]
  for (const [status, transient] of cases) {
    // A refused credential is retried for a bounded time only (doubtful), then needs a human.
    const doubtful = status === 401 || status === 403 ? { doubtful: true } : {}
    t.equal(isTransientStatus(status), transient, `isTransientStatus(${status})`)
    t.same(classifyIzlyFailure(izlyFault(status, '')), { transient, ...doubtful, code: `HTTP_${status}`, httpStatus: status }, `fault ${status}`)
    t.same(classifyIzlyFailure({ kind: 'http', status }), { transient, ...doubtful, code: `HTTP_${status}`, httpStatus: status }, `bare HTTP ${status}`)
  }
})

t.test('retryable=true makes any fault transient; retryable=false never makes a transient status permanent', async (t) => {
  t.equal(classifyIzlyFailure(izlyFault(422, '-42', true)).transient, true)
  t.equal(classifyIzlyFailure(izlyFault(423, 'HTTP_423', true)).transient, true)
  t.equal(classifyIzlyFailure(izlyFault(503, 'HTTP_503', false)).transient, true)
  t.equal(classifyIzlyFailure(izlyFault(401, 'HTTP_401', false)).transient, true, 'an expired credential is retried')
})

t.test('no answer at all is transient', async (t) => {
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'NETWORK_ERROR']) {
    t.same(classifyIzlyFailure({ kind: 'network', code }), { transient: true, code }, code)
  }
  t.same(classifyIzlyFailure({ kind: 'timeout', afterMs: 30_000 }), { transient: true, code: 'TIMEOUT' })
})

t.test('SOAP faults without an IzlyFault detail', async (t) => {
  const cases: Array<[string, number, boolean, string]> = [
    ['soap:Server', 500, true, 'SOAP_Server'],
    ['soap:Client', 500, false, 'SOAP_Client'],
    ['Client.Authentication', 500, true, 'SOAP_Client.Authentication'],
    ['wsse:FailedAuthentication', 500, true, 'SOAP_FailedAuthentication'],
    ['wsse:InvalidSecurityToken', 500, true, 'SOAP_InvalidSecurityToken'],
    ['soap:Client', 401, true, 'SOAP_Client'],
    ['soap:Client', 503, true, 'SOAP_Client'],
    ['soap:MustUnderstand', 500, true, 'SOAP_MustUnderstand'],
  ]
  for (const [faultcode, transportStatus, transient, code] of cases) {
    const doubtful = /Authentication|Security/.test(faultcode) || transportStatus === 401 ? { doubtful: true } : {}
    t.same(classifyIzlyFailure({ kind: 'soap-fault', faultcode, transportStatus }), { transient, ...doubtful, code, httpStatus: transportStatus }, `${faultcode} over ${transportStatus}`)
  }
})

t.test('an answer that is not the operation\'s is doubtful; a redirect or an answer over the cap is permanent', async (t) => {
  t.same(classifyIzlyFailure({ kind: 'invalid-response', status: 200 }), { transient: true, doubtful: true, code: 'INVALID_RESPONSE', httpStatus: 200 }, 'a 200 that is not the answer: retried for a bounded time')
  t.same(classifyIzlyFailure({ kind: 'invalid-response', status: 200, detail: 'an HTML page' }), { transient: true, doubtful: true, code: 'INVALID_RESPONSE', httpStatus: 200 }, 'an API CROUS 200 HTML page: the same')
  t.same(classifyIzlyFailure({ kind: 'invalid-response', status: 307, reason: 'redirect' }), { transient: false, code: 'INVALID_RESPONSE', httpStatus: 307 }, 'a redirect, never followed: the wrong address')
  t.same(classifyIzlyFailure({ kind: 'invalid-response', status: 200, reason: 'too-large' }), { transient: false, code: 'INVALID_RESPONSE', httpStatus: 200 }, 'an answer over the cap: not the API')
})

t.test('no API CROUS token is transient whatever the token server said; refused credentials only for a bounded time', async (t) => {
  for (const reason of ['HTTP_503', 'HTTP_500', 'HTTP_429', 'ECONNREFUSED', 'TIMEOUT']) {
    const httpStatus = reason.startsWith('HTTP_') ? Number(reason.slice(5)) : undefined
    t.same(classifyIzlyFailure({ kind: 'token', reason, ...(httpStatus === undefined ? {} : { httpStatus }) }),
      { transient: true, code: `TOKEN_${reason}`, ...(httpStatus === undefined ? {} : { httpStatus }) }, `${reason}: an outage, retried without bound`)
  }
  for (const reason of ['HTTP_400', 'HTTP_401', 'HTTP_403', 'INVALID_RESPONSE']) {
    const httpStatus = reason.startsWith('HTTP_') ? Number(reason.slice(5)) : undefined
    t.same(classifyIzlyFailure({ kind: 'token', reason, ...(httpStatus === undefined ? {} : { httpStatus }) }),
      { transient: true, doubtful: true, code: `TOKEN_${reason}`, ...(httpStatus === undefined ? {} : { httpStatus }) }, `${reason}: the credentials refused, doubtful`)
  }
})
