import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ValidityCall } from '../validity-call.ts'
import { createProblem, sendProblem } from '../../intake/problem.ts'
import { faultResponse, type SoapAnswer } from './soap-messages.ts'
import { type SoapCallerGuard, soapVersionOfContentType, type ValiditySoapService } from './soap-service.ts'
import { VALIDITY_SOAP_PATH } from './wsdl-contract.ts'

export interface ValiditySoapRoutesOptions {
  service: ValiditySoapService
  /** Largest body read, in bytes; a larger one is refused with a fault before it is read whole. */
  maxBodyBytes: number
  /** The WSDL with its addresses set to the given endpoint. */
  wsdlFor: (endpoint: string) => string
  /** The gateway's address as callers see it (PUBLIC_BASE_URL); without it, the request's Host header if allowed. */
  publicBaseUrl?: string
  /** PUBLIC_HOSTS: Host headers the WSDL may name without PUBLIC_BASE_URL; none means loopback hosts only. */
  publicHosts?: readonly string[]
  /** The caller's rate limits for this request (the app's protection); none: unlimited. */
  guardFor?: (request: FastifyRequest) => SoapCallerGuard
  /** Called once per SOAP request with what it came to. */
  onCall?: (request: FastifyRequest, call: ValidityCall) => void
}

/** Host[:port] as a Host header may carry it; anything else is not written into the WSDL. */
const HOST_HEADER = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

/**
 * `POST /crous/v1/soap` (CheckCardValidity, SOAP 1.1 and 1.2) and `GET /crous/v1/soap?wsdl`, in an
 * encapsulated plugin: its body parser takes every media type as text within the size limit, and its
 * error handler turns whatever Fastify refuses (too large, bad length) into a SOAP fault, not problem+json.
 */
export async function validitySoapRoutes (app: FastifyInstance, options: ValiditySoapRoutesOptions): Promise<void> {
  const { service } = options
  const send = (request: FastifyRequest, reply: FastifyReply, call: ValidityCall & { answer: SoapAnswer }): FastifyReply => {
    options.onCall?.(request, call)
    if (call.retryAfterSeconds !== undefined) reply.header('retry-after', String(call.retryAfterSeconds))
    return reply.code(call.answer.status).type(call.answer.contentType).header('cache-control', 'no-store').send(call.answer.body)
  }

  app.removeAllContentTypeParsers()
  // Bytes, decoded by the service: a body that is not UTF-8 is refused, not read with U+FFFD in it.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.maxBodyBytes }, (_request, body, done) => {
    done(null, body)
  })

  // A refusal before the service saw the body (too large, a bad length) still answers in the caller's
  // SOAP version, as does a bug (never a stack to the caller).
  app.setErrorHandler((error, request, reply) => {
    const version = soapVersionOfContentType(request.headers['content-type']) ?? '1.1'
    const status = (error as { statusCode?: unknown }).statusCode
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const message = status === 413 ? `the request is over ${options.maxBodyBytes} bytes` : 'the request could not be read'
      return send(request, reply, { outcome: `refused-http-${status}`, answer: faultResponse(version, { side: 'client', message, httpStatus: status }) })
    }
    request.log.error({ err: error }, 'SOAP validity request failed')
    return send(request, reply, { outcome: 'error', answer: faultResponse(version, { side: 'server', message: 'internal error' }) })
  })

  app.get(VALIDITY_SOAP_PATH, async (request, reply) => {
    const base = options.publicBaseUrl ?? allowedBaseUrlOf(request, options.publicHosts ?? [])
    if (base === undefined) {
      request.log.warn({ host: request.host.slice(0, 100) }, 'WSDL refused: its address would name a host that is not configured')
      return sendProblem(reply, createProblem({
        status: 421,
        code: 'wsdl-host-not-allowed',
        detail: 'the WSDL names this gateway by the address it is configured with: set PUBLIC_BASE_URL, or list this Host in PUBLIC_HOSTS',
      }))
    }
    return reply.type('text/xml; charset=utf-8').send(options.wsdlFor(`${base}${VALIDITY_SOAP_PATH}`))
  })

  app.post(VALIDITY_SOAP_PATH, async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
    return send(request, reply, await service.handle(body, request.headers['content-type'], options.guardFor?.(request)))
  })
}

/**
 * `<protocol>://<Host>` when the Host header is one the gateway is known by: listed in PUBLIC_HOSTS, or,
 * with none listed, a loopback name (the demo, tests). Anything else would let whoever sends the Host
 * header choose where clients generated from this WSDL send their credentials.
 */
function allowedBaseUrlOf (request: FastifyRequest, publicHosts: readonly string[]): string | undefined {
  const host = request.host.toLowerCase()
  if (!HOST_HEADER.test(host)) return undefined
  const allowed = publicHosts.length > 0 ? publicHosts.includes(host) : LOOPBACK_HOSTS.has(request.hostname.toLowerCase())
  return allowed ? `${request.protocol}://${host}` : undefined
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]', '::1'])
