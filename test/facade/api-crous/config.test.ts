// The façade's configuration: SGC_CROUS_CLIENTS (or its _FILE), SGC_TIME_ZONE, FACADE_* (src/config/load.ts).
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../../../src/config/load.ts'

const BASE = { IZLY_SOAP_URL: 'https://izly.example/soap', SGC_HMAC_SECRETS: 'a-long-enough-sgc-secret', PSEUDONYM_KEY: 'a-pseudonym-key-of-at-least-32-characters' }

t.test('off unless clients are named; defaults; the bare demo generates one client', async (t) => {
  t.match(loadConfig(BASE).apiCrousFacade, { clients: [], clientGenerated: false, timeZone: 'Europe/Paris', readDeadlineMs: 2000, tokenTtlSeconds: 3600, bodyLimitBytes: 16384 })
  const demo = loadConfig({}).apiCrousFacade
  t.equal(demo.clientGenerated, true)
  t.equal(demo.clients.length, 1)
  t.ok((demo.clients[0]?.clientSecret.length ?? 0) >= 16)
})

t.test('clients, from the variable or a file; every bad value is one error naming the variable', async (t) => {
  const config = loadConfig({ ...BASE, SGC_CROUS_CLIENTS: 'esup-sgc:secret:with:colons-0123, other:other-secret-0123456', SGC_TIME_ZONE: 'America/Cayenne', FACADE_READ_DEADLINE_MS: '500' })
  t.same(config.apiCrousFacade.clients, [{ clientId: 'esup-sgc', clientSecret: 'secret:with:colons-0123' }, { clientId: 'other', clientSecret: 'other-secret-0123456' }])
  t.equal(config.apiCrousFacade.timeZone, 'America/Cayenne')
  t.equal(config.apiCrousFacade.readDeadlineMs, 500)
  const dir = mkdtempSync(join(tmpdir(), 'leocarte-facade-config-'))
  writeFileSync(join(dir, 'clients'), 'esup-sgc:from-a-file-secret-0123\n')
  t.same(loadConfig({ ...BASE, SGC_CROUS_CLIENTS_FILE: join(dir, 'clients') }).apiCrousFacade.clients, [{ clientId: 'esup-sgc', clientSecret: 'from-a-file-secret-0123' }])
  for (const [env, variable] of [
    [{ SGC_CROUS_CLIENTS: 'no-colon' }, 'SGC_CROUS_CLIENTS'],
    [{ SGC_CROUS_CLIENTS: 'esup-sgc:short' }, 'SGC_CROUS_CLIENTS'],
    [{ SGC_CROUS_CLIENTS: 'a:secret-0123456789ab,a:secret-0123456789cd' }, 'SGC_CROUS_CLIENTS'],
    [{ SGC_TIME_ZONE: 'Mars/Olympus' }, 'SGC_TIME_ZONE'],
    [{ FACADE_READ_DEADLINE_MS: '30000' }, 'FACADE_READ_DEADLINE_MS'],
  ] as const) {
    t.throws(() => loadConfig({ ...BASE, ...env }), ConfigError, JSON.stringify(env))
    try {
      loadConfig({ ...BASE, ...env })
    } catch (error) {
      t.equal((error as ConfigError).variable, variable)
    }
  }
})
