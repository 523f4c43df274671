import Fastify from 'fastify'
import type { Test } from 'tap'

/** A CardStatusView as the router's public status endpoint answers it (esc-router.md §3.3). */
export interface StubCard {
  cardNumber: string
  status: string
  expiresAt?: string
  issuedAt?: string
  issuerIdentifier?: string | number
  issuerName?: string
  displayName?: string
}

export interface RouterStatusStub {
  /** REST base, as ESC_ROUTER_STATUS_URL takes it (…/esc-rest). */
  readonly baseUrl: string
  readonly cards: Map<string, StubCard>
  /** ESCNs asked about, in order. */
  readonly calls: string[]
  /** Delay before every answer, milliseconds. */
  latencyMs: number
  /** `off`, an HTTP status to answer every call with (e.g. 503), or `reset` to drop connections. */
  outage: 'off' | 'reset' | number
  /** Answer 200 with this raw body instead of the card (a misbehaving router). */
  rawBody: string | undefined
  put (card: StubCard): void
  close (): Promise<void>
}

/**
 * A stand-in for the ESC Router's public `GET /esc-rest/api/v2/cards/{escn}/status`, on an ephemeral
 * port, with latency, outages and odd bodies on demand. Closed on teardown when given a test (the
 * benchmark closes it itself).
 */
export async function startRouterStatusStub (t?: Test): Promise<RouterStatusStub> {
  const app = Fastify({ logger: false, forceCloseConnections: true })
  const closing = new AbortController()
  const stub = {
    cards: new Map<string, StubCard>(),
    calls: [] as string[],
    latencyMs: 0,
    outage: 'off' as RouterStatusStub['outage'],
    rawBody: undefined as string | undefined,
    put (card: StubCard) { stub.cards.set(card.cardNumber, card) },
  }
  app.get<{ Params: { escn: string } }>('/esc-rest/api/v2/cards/:escn/status', async (request, reply) => {
    stub.calls.push(request.params.escn)
    if (stub.latencyMs > 0) await new Promise((resolve) => { const timer = setTimeout(resolve, stub.latencyMs); closing.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(undefined) }) })
    if (stub.outage === 'reset') {
      reply.hijack()
      request.raw.socket.destroy()
      return reply
    }
    if (typeof stub.outage === 'number') return reply.code(stub.outage).send({ code: 'ER-9999', message: 'stub outage' })
    if (stub.rawBody !== undefined) return reply.type('application/json').send(stub.rawBody)
    const card = stub.cards.get(request.params.escn)
    // The router's ApiErrorMessage for an unknown card.
    if (card === undefined) return reply.code(404).send({ code: 'ER-0001', message: 'Card not found' })
    return card
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('router stub: no TCP address')
  const close = async (): Promise<void> => {
    closing.abort()
    await app.close()
  }
  t?.teardown(close)
  return Object.assign(stub, { baseUrl: `http://127.0.0.1:${address.port}/esc-rest`, close })
}

/** A syntactically valid ESCN issued by `pic` (9 digits), distinct per `serial`. */
export function escnOf (serial: number, pic = '999859608', prefix = '066'): string {
  const hex = serial.toString(16).padStart(12, '0').slice(-12)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-11ee-8${String(serial % 1000).padStart(3, '0')}-${prefix}${pic}`
}
