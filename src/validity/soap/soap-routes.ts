import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ValidityCall } from '../validity-call.ts'
import { faultResponse, type SoapAnswer } from './soap-messages.ts'
import type { ValiditySoapService } from './soap-service.ts'
import { VALIDITY_SOAP_PATH } from './wsdl-contract.ts'

export interface ValiditySoapRoutesOptions {
  service: ValiditySoapService
  /** Largest body read, in bytes; a larger one is refused with a fault before it is read whole. */
  maxBodyBytes: number
  /** The WSDL with its addresses set to the given endpoint. */
  wsdlFor: (endpoint: string) => string
  /** The gateway's address as callers see it (PUBLIC_BASE_URL); without it, the request's Host header. */
  publicBaseUrl?: string
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
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: options.maxBodyBytes }, (_request, body, done) => {
    done(null, body)
  })

  app.setErrorHandler((error, request, reply) => {
    const status = (error as { statusCode?: unknown }).statusCode
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const message = status === 413 ? `the request is over ${options.maxBodyBytes} bytes` : 'the request could not be read'
      return send(request, reply, { outcome: `refused-http-${status}`, answer: faultResponse('1.1', { side: 'client', message, httpStatus: status }) })
    }
    request.log.error({ err: error }, 'SOAP validity request failed')
    return send(request, reply, { outcome: 'error', answer: faultResponse('1.1', { side: 'server', message: 'internal error' }) })
  })

  app.get(VALIDITY_SOAP_PATH, async (request, reply) => {
    const endpoint = `${options.publicBaseUrl ?? baseUrlOf(request)}${VALIDITY_SOAP_PATH}`
    return reply.type('text/xml; charset=utf-8').send(options.wsdlFor(endpoint))
  })

  app.post(VALIDITY_SOAP_PATH, async (request, reply) => {
    const body = typeof request.body === 'string' ? request.body : ''
    return send(request, reply, await service.handle(body, request.headers['content-type']))
  })
}

function baseUrlOf (request: FastifyRequest): string {
  const host = HOST_HEADER.test(request.host) ? request.host : 'localhost'
  return `${request.protocol}://${host}`
}
