import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config/load.ts'

const BASE = { IZLY_SOAP_URL: 'https://izly.example/soap', SGC_HMAC_SECRETS: 'a-long-enough-sgc-secret', PSEUDONYM_KEY: 'a-pseudonym-key-of-at-least-32-characters' }

t.test('SGC_ESC_KEYS: none means closed, several for a rotation, a file allowed, each long enough; the demo generates one', async (t) => {
  t.same(loadConfig(BASE).escFacade, { keys: [], keysGenerated: false }, 'configured, no key: the façade answers 401')
  t.same(loadConfig({ ...BASE, SGC_ESC_KEYS: 'old-esc-key-0123456789, new-esc-key-0123456789' }).escFacade.keys, ['old-esc-key-0123456789', 'new-esc-key-0123456789'])
  const dir = mkdtempSync(join(tmpdir(), 'leocarte-esc-keys-'))
  writeFileSync(join(dir, 'keys'), 'file-esc-key-0123456789\n')
  t.same(loadConfig({ ...BASE, SGC_ESC_KEYS_FILE: join(dir, 'keys') }).escFacade.keys, ['file-esc-key-0123456789'])
  t.throws(() => loadConfig({ ...BASE, SGC_ESC_KEYS: 'short' }), new ConfigError('SGC_ESC_KEYS', 'each key must be at least 16 characters'))
  const demo = loadConfig({})
  t.equal(demo.escFacade.keysGenerated, true)
  t.ok((demo.escFacade.keys[0] ?? '').length >= 16)
})

t.test('FACADE_READ_DEADLINE_MS: 2000 by default, well under ESUP-SGC\'s 30 s', async (t) => {
  t.equal(loadConfig(BASE).facadeReadDeadlineMs, 2000)
  t.equal(loadConfig({ ...BASE, FACADE_READ_DEADLINE_MS: '500' }).facadeReadDeadlineMs, 500)
  t.throws(() => loadConfig({ ...BASE, FACADE_READ_DEADLINE_MS: '30000' }), /^FACADE_READ_DEADLINE_MS: must be between 50 and 25000/)
})
