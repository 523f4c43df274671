import type { FastifyRequest } from 'fastify'
import fastify from 'fastify'
import type { SignatureInProgress } from './signature.ts'

/** A body as it arrived: its chunks, fed to the signature check one by one, joined only once it is signed. */
export interface ReceivedBody {
  readonly received: true
  chunks: Buffer[]
  size: number
}

export function isReceivedBody (value: unknown): value is ReceivedBody {
  return typeof value === 'object' && value !== null && (value as { received?: unknown }).received === true
}

/** The chunks as one buffer (done after the signature matched: a forged 8 MB body is never copied). */
export function joinBody (body: ReceivedBody): Buffer {
  return Buffer.concat(body.chunks, body.size)
}

const { FST_ERR_CTP_BODY_TOO_LARGE, FST_ERR_CTP_INVALID_CONTENT_LENGTH } = fastify.errorCodes

/**
 * A Fastify content-type parser for signed bodies: reads within the route's limit (refusing at once a
 * Content-Length over it), feeds every chunk to the request's signature check as it arrives (no
 * blocking hash of 8 MB at the end) and hands the route the chunks, unjoined and unparsed.
 */
export function signedBodyParser (checkOf: (request: FastifyRequest) => SignatureInProgress | undefined) {
  return (request: FastifyRequest, payload: NodeJS.ReadableStream, done: (error: Error | null, body?: ReceivedBody) => void): void => {
    const limit = request.routeOptions.bodyLimit ?? 0
    const declared = Number(request.headers['content-length'])
    if (declared > limit) {
      done(new FST_ERR_CTP_BODY_TOO_LARGE())
      return
    }
    const check = checkOf(request)
    const body: ReceivedBody = { received: true, chunks: [], size: 0 }
    let finished = false
    const finish = (error: Error | null): void => {
      if (finished) return
      finished = true
      payload.removeListener('data', onData)
      payload.removeListener('end', onEnd)
      payload.removeListener('error', onError)
      if (error !== null) done(error)
      else done(null, body)
    }
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      body.size += bytes.length
      if (body.size > limit) {
        body.chunks = []
        finish(new FST_ERR_CTP_BODY_TOO_LARGE())
        return
      }
      check?.update(bytes)
      body.chunks.push(bytes)
    }
    const onEnd = (): void => {
      finish(!Number.isNaN(declared) && declared !== body.size ? new FST_ERR_CTP_INVALID_CONTENT_LENGTH() : null)
    }
    const onError = (error: Error): void => {
      finish(Object.assign(error, { statusCode: 400 }))
    }
    payload.on('data', onData)
    payload.on('end', onEnd)
    payload.on('error', onError)
    payload.resume()
  }
}
