import { HttpClient, type IExOptions, type IHeaders } from 'soap'

/**
 * node-soap's HTTP transport (axios) with the rules every outbound client of the gateway keeps: a
 * redirect is never followed (axios would re-post the envelope, the WS-Security password and the
 * holder's data to whatever host `Location` names) and is handed back as a failure carrying its
 * response, and an answer is read up to `maxResponseBytes` only (axios cuts it with ERR_BAD_RESPONSE).
 * The call's deadline is its AbortSignal (client.ts).
 */
export class GuardedSoapTransport extends HttpClient {
  readonly #maxResponseBytes: number

  constructor (maxResponseBytes: number) {
    super()
    this.#maxResponseBytes = maxResponseBytes
  }

  override request (rurl: string, data: unknown, callback: (error: unknown, res?: unknown, body?: unknown) => unknown, exheaders?: IHeaders, exoptions?: IExOptions): ReturnType<HttpClient['request']> {
    const options: IExOptions = { ...exoptions, maxRedirects: 0, maxContentLength: this.#maxResponseBytes }
    return super.request(rurl, data, (error, res, body) => {
      const status = (res as { status?: unknown } | undefined)?.status
      if ((error === null || error === undefined) && typeof status === 'number' && status >= 300 && status < 400) {
        return callback(Object.assign(new Error(`HTTP ${status}: a redirect, not followed`), { code: 'ERR_REDIRECT', response: res }))
      }
      return callback(error, res, body)
    }, exheaders, options)
  }
}
