import { createHmac, timingSafeEqual } from 'node:crypto'

/** Largest distance, in seconds, between a signature's `t` and the gateway's clock (SPEC §3). */
export const SIGNATURE_TOLERANCE_SECONDS = 300

export type SignatureFailure = 'missing' | 'malformed' | 'stale' | 'mismatch'

export type SignatureCheck =
  | { ok: true }
  | { ok: false, reason: SignatureFailure, detail: string }

export interface VerifySignatureOptions {
  /** Value of the `X-Signature` header, if any. */
  header: string | readonly string[] | undefined
  /** The request body exactly as received. */
  rawBody: Buffer
  /** Every secret currently accepted: two during a rotation. */
  secrets: readonly string[]
  /** Current time in milliseconds since the epoch (`Date.now` shape). */
  nowMs: number
  /** @defaultValue SIGNATURE_TOLERANCE_SECONDS */
  toleranceSeconds?: number
}

/**
 * Checks `X-Signature: t=<unix seconds>,v1=<lower-case hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * Several `v1` entries are allowed so the SGC can sign with the old and the new secret during a rotation.
 * The freshness of `t` is judged only once a signature matched, so "stale" tells a replay or a clock
 * drift apart from a forgery.
 */
export function verifySignature (options: VerifySignatureOptions): SignatureCheck {
  const started = startSignatureCheck(options.header, options.secrets)
  if (!started.ok) return started
  started.update(options.rawBody)
  return started.finish(options.nowMs, options.toleranceSeconds)
}

/** A signature check fed with the body as it arrives: no 8 MB hash in one go, and none for a bad header. */
export interface SignatureInProgress {
  ok: true
  update (chunk: Buffer): void
  /** Whether what was fed matches, then whether `t` is fresh. */
  finish (nowMs: number, toleranceSeconds?: number): SignatureCheck
}

/**
 * Reads the header and starts one HMAC per secret; the body is fed with `update` as it arrives. A
 * missing or malformed header is answered at once, before a byte of the body is read.
 */
export function startSignatureCheck (header: string | readonly string[] | undefined, secrets: readonly string[]): SignatureInProgress | Extract<SignatureCheck, { ok: false }> {
  if (header === undefined || header === '') {
    return fail('missing', 'the X-Signature header is missing')
  }
  if (typeof header !== 'string') {
    return fail('malformed', 'the X-Signature header must be sent once')
  }
  const parsed = parseSignatureHeader(header)
  if (parsed === undefined) {
    return fail('malformed', 'the X-Signature header must be "t=<unix seconds>,v1=<64 lower-case hex digits>"')
  }
  const hmacs = secrets.map((secret) => createHmac('sha256', secret).update(`${parsed.timestamp}.`))
  return {
    ok: true,
    update (chunk) {
      for (const hmac of hmacs) hmac.update(chunk)
    },
    finish (nowMs, toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS) {
      if (!matchesAny(parsed.signatures, hmacs.map((hmac) => hmac.digest()))) {
        return fail('mismatch', 'the signature does not match the body under any accepted secret')
      }
      const skewSeconds = Math.abs(nowMs / 1000 - parsed.timestamp)
      if (skewSeconds > toleranceSeconds) {
        return fail('stale', `the signature time is more than ${toleranceSeconds} s away from the gateway's clock`)
      }
      return { ok: true }
    },
  }
}

/** The `X-Signature` header value for `body` under `secret`, at `t` (unix seconds, default now). */
export function signBody (secret: string, body: string | Buffer, t: number = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${computeSignature(secret, t, body)}`
}

interface ParsedSignature {
  timestamp: number
  signatures: Buffer[]
}

const TIMESTAMP = /^[0-9]{1,15}$/
const HEX_SHA256 = /^[0-9a-f]{64}$/

function parseSignatureHeader (header: string): ParsedSignature | undefined {
  let timestamp: number | undefined
  const signatures: Buffer[] = []
  for (const part of header.split(',')) {
    const separator = part.indexOf('=')
    if (separator < 0) return undefined
    const key = part.slice(0, separator).trim()
    const value = part.slice(separator + 1).trim()
    if (key === 't') {
      if (timestamp !== undefined || !TIMESTAMP.test(value)) return undefined
      timestamp = Number(value)
    } else if (key === 'v1') {
      if (!HEX_SHA256.test(value)) return undefined
      signatures.push(Buffer.from(value, 'hex'))
    }
    // Other schemes (v0, v2…) are ignored so the format can grow without breaking this check.
  }
  if (timestamp === undefined || signatures.length === 0) return undefined
  return { timestamp, signatures }
}

function matchesAny (signatures: readonly Buffer[], expected: readonly Buffer[]): boolean {
  let matched = false
  // Every pair is compared, without stopping at the first match, so timing says nothing about which secret matched.
  for (const digest of expected) {
    for (const signature of signatures) {
      if (timingSafeEqual(digest, signature)) matched = true
    }
  }
  return matched
}

function computeSignature (secret: string, t: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex')
}

function fail (reason: SignatureFailure, detail: string): Extract<SignatureCheck, { ok: false }> {
  return { ok: false, reason, detail }
}
