import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** Fault switches both simulators share: an outage and added latency. */

export const OUTAGE_MODES = ['off', 'http503', 'reset', 'page200'] as const
/**
 * `http503` answers every call 503; `reset` destroys the connection without an answer; `page200` answers
 * 200 with an HTML page, as a proxy in maintenance does (no answer of the service, yet a 200).
 */
export type OutageMode = (typeof OUTAGE_MODES)[number]

/** Throws a TypeError naming the field, for the control APIs' 400. */
export function checkOutageMode (mode: unknown): asserts mode is OutageMode {
  if (!(OUTAGE_MODES as readonly unknown[]).includes(mode)) throw new TypeError(`mode must be one of ${OUTAGE_MODES.join(', ')}`)
}

export function checkLatency (ms: unknown): asserts ms is number {
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0) throw new TypeError('ms must be a non-negative integer')
}

export interface OutageAnswer {
  /** Records the refused call in the simulator's call log. */
  record: () => void
  /** The page sent with a 503, as a proxy in front of the real service would. */
  contentType: string
  body: string
}

/**
 * Applies the latency and outage switches to a request about to be served: true when the request was
 * refused (an outage) or dropped (the simulator closing), false when it may be served. (A boolean, not
 * the reply: a Fastify reply is thenable, so an async function cannot hand it back.) `closing` aborts
 * latency waits, so that a close is never held up by them.
 */
export async function holdOrRefuse (switches: { latencyMs: number, outage: OutageMode }, closing: AbortSignal, request: FastifyRequest, reply: FastifyReply, answer: OutageAnswer): Promise<boolean> {
  if (switches.latencyMs > 0) await sleep(switches.latencyMs, undefined, { signal: closing }).catch(() => {})
  if (closing.aborted) return dropConnection(request, reply)
  if (switches.outage === 'off') return false
  answer.record()
  if (switches.outage === 'reset') return dropConnection(request, reply)
  if (switches.outage === 'page200') {
    reply.code(200).type('text/html; charset=utf-8').send('<html><body><h1>Maintenance</h1><p>The service is being updated.</p></body></html>')
    return true
  }
  reply.code(503).header('retry-after', '1').type(answer.contentType).send(answer.body)
  return true
}

/** No answer at all: the connection is destroyed, as a crashed or unreachable service would. */
function dropConnection (request: FastifyRequest, reply: FastifyReply): true {
  reply.hijack()
  request.raw.socket.destroy()
  return true
}
