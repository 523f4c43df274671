// A captured PasswordDigest message cannot be replayed by re-spelling its nonce: base64 has several
// spellings of one value (padding left out, the insignificant low bits of the last character), the digest
// covers the value, and the gateway remembers the value. Through the real SOAP route.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { cardEvent } from '../fixtures/card-events.ts'
import { checkEnvelope, startValidityGateway } from '../helpers/validity.ts'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** Every other base64 spelling of the bytes `canonical` stands for. */
function respellings (canonical: string): string[] {
  const unpadded = canonical.replace(/=+$/, '')
  const last = unpadded.at(-1) as string
  // 16 bytes are 22 characters of 6 bits: the last character carries 2 significant bits, 4 ignored ones.
  const ignoredBits = (unpadded.length * 6) % 8
  const stem = unpadded.slice(0, -1)
  const index = ALPHABET.indexOf(last)
  const variants = new Set<string>()
  for (let low = 0; low < 2 ** ignoredBits; low++) {
    const spelled = stem + (ALPHABET[(index & ~(2 ** ignoredBits - 1)) | low] as string)
    variants.add(spelled)
    variants.add(spelled + '='.repeat((4 - (spelled.length % 4)) % 4))
  }
  variants.delete(canonical)
  return [...variants]
}

t.test('a captured PasswordDigest message is accepted once, however its nonce is re-spelled and whatever its Body asks', async (t) => {
  const gateway = await startValidityGateway(t)
  const events = [cardEvent(), cardEvent()]
  for (const event of events) t.equal((await gateway.post(event)).status, 202)
  const [alice, bob] = events.map((event) => event.card.csn as string) as [string, string]

  const nonce = randomBytes(16).toString('base64')
  const created = new Date().toISOString()
  const captured = await gateway.soap(checkEnvelope(alice, { auth: 'PasswordDigest', nonce, created }))
  t.equal(captured.status, 200, 'the original message is answered')

  const variants = respellings(nonce)
  t.ok(variants.length >= 20, `${variants.length} other spellings of the same nonce`)
  for (const spelled of variants) {
    t.equal(Buffer.from(spelled, 'base64').compare(Buffer.from(nonce, 'base64')), 0, `${spelled} decodes to the same bytes`)
    // The digest covers the nonce's bytes, so it is still right; only the Body (another card) changed.
    const replay = await gateway.soap(checkEnvelope(bob, { auth: 'PasswordDigest', nonce: spelled, created }))
    t.equal(replay.status, 500, `replay with nonce ${spelled}: a fault`)
    t.match(replay.body, /wsse:FailedAuthentication/)
    t.match(replay.body, /already used/)
  }
  const fresh = await gateway.soap(checkEnvelope(bob, { auth: 'PasswordDigest', nonce: randomBytes(16).toString('base64') }))
  t.equal(fresh.status, 200, 'a message with a fresh nonce still goes through')
})
