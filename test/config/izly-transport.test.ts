// SPEC §9: the Izly transport follows the configuration, exactly one of IZLY_SOAP_URL and IZLY_API_URL;
// the API CROUS needs its client credentials, over TLS.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config/load.ts'

const SECRET = 'a-long-enough-sgc-secret'
const REST = { IZLY_API_URL: 'https://api.lescrous.fr', IZLY_CLIENT_ID: 'univ-rouen', IZLY_CLIENT_SECRET: 's3cr3t', SGC_HMAC_SECRETS: SECRET, PSEUDONYM_KEY: 'a-pseudonym-key-of-32-characters-at-least' }

function refusal (env: Record<string, string>): ConfigError {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error(`${JSON.stringify(env)} was accepted`)
}

t.test('IZLY_API_URL alone: the REST transport, simulators off, the default access server', async (t) => {
  const config = loadConfig(REST)
  t.equal(config.simulators, false)
  t.match(config.izly, { transport: 'rest', apiUrl: 'https://api.lescrous.fr', accessUrl: 'https://acces.lescrous.fr', clientId: 'univ-rouen', clientSecret: 's3cr3t', soapUrl: undefined })
  t.match(loadConfig({ ...REST, IZLY_API_URL: 'https://api-pp.nuonet.fr', IZLY_ACCESS_URL: 'https://acces.lescrous.fr' }).izly, { apiUrl: 'https://api-pp.nuonet.fr' })
})

t.test('the client secret may come from a mounted file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'leocarte-izly-'))
  writeFileSync(join(dir, 'secret'), 'from-a-file\n')
  const { IZLY_CLIENT_SECRET: _unused, ...withoutSecret } = REST
  t.equal(loadConfig({ ...withoutSecret, IZLY_CLIENT_SECRET_FILE: join(dir, 'secret') }).izly.clientSecret, 'from-a-file')
})

t.test('IZLY_SOAP_URL alone is the SOAP transport, as before', async (t) => {
  t.match(loadConfig({ IZLY_SOAP_URL: 'https://izly.example/soap', SGC_HMAC_SECRETS: SECRET, PSEUDONYM_KEY: REST.PSEUDONYM_KEY }).izly, { transport: 'soap', apiUrl: undefined })
})

t.test('both, or neither with the simulators off: one error naming both', async (t) => {
  const envs: Array<Record<string, string>> = [{ ...REST, IZLY_SOAP_URL: 'https://izly.example/soap' }, { SIMULATORS: 'off', SGC_HMAC_SECRETS: SECRET }]
  for (const env of envs) {
    const error = refusal(env)
    t.equal(error.variable, 'IZLY_SOAP_URL, IZLY_API_URL')
    t.match(error.message, /^IZLY_SOAP_URL, IZLY_API_URL: /)
  }
})

t.test('the demo picks the simulator\'s face with IZLY_TRANSPORT; a transport against the URL given is refused', async (t) => {
  t.equal(loadConfig({}).izly.transport, 'soap')
  t.match(loadConfig({ IZLY_TRANSPORT: 'rest' }), { simulators: true, izly: { transport: 'rest' } })
  t.equal(refusal({ IZLY_TRANSPORT: 'json' }).variable, 'IZLY_TRANSPORT')
  t.equal(refusal({ IZLY_SOAP_URL: 'https://izly.example/soap', IZLY_TRANSPORT: 'rest', SGC_HMAC_SECRETS: SECRET }).variable, 'IZLY_TRANSPORT')
})

t.test('what the API CROUS needs, each refusal naming its variable', async (t) => {
  const { IZLY_CLIENT_ID: _id, ...noId } = REST
  const { IZLY_CLIENT_SECRET: _secret, ...noSecret } = REST
  const cases: Array<[Record<string, string>, string, RegExp]> = [
    [noId, 'IZLY_CLIENT_ID', /required with IZLY_API_URL/],
    [noSecret, 'IZLY_CLIENT_SECRET', /required with IZLY_API_URL/],
    [{ ...REST, IZLY_CLIENT_ID: 'a:b' }, 'IZLY_CLIENT_ID', /":"/],
    [{ ...REST, IZLY_API_URL: 'http://api.lescrous.fr' }, 'IZLY_API_URL', /https/],
    [{ ...REST, IZLY_ACCESS_URL: 'http://acces.lescrous.fr' }, 'IZLY_ACCESS_URL', /https/],
    [{ ...REST, IZLY_API_URL: 'https://api.lescrous.fr/beforeizly/v1' }, 'IZLY_API_URL', /without \/beforeizly\/v1/],
    [{ ...REST, IZLY_API_URL: 'api.lescrous.fr' }, 'IZLY_API_URL', /not a URL/],
  ]
  for (const [env, variable, problem] of cases) {
    const error = refusal(env)
    t.equal(error.variable, variable, `${variable}: ${problem.source}`)
    t.match(error.message, problem)
  }
  t.match(loadConfig({ ...REST, IZLY_API_URL: 'http://127.0.0.1:8080', IZLY_ACCESS_URL: 'http://localhost:8080' }).izly, { apiUrl: 'http://127.0.0.1:8080' }, 'plain http on loopback (a local simulator or tunnel)')
})
