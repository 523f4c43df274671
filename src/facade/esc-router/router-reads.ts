import { Agent, type Dispatcher } from 'undici'
import { boundedRequest } from '../../downstream/bounded-request.ts'
import { ESC_PATHS } from '../../downstream/esc/paths.ts'
import { httpUrl } from '../../downstream/http-url.ts'

/**
 * The few calls the façade makes to the real router while ESUP-SGC waits (reads, and the DELETE of a person
 * the gateway holds no card of), each within FACADE_READ_DEADLINE_MS. Any failure (refused, slow, an
 * error status, an answer that is not the router's JSON) is `undefined`: the caller then answers from what
 * the gateway holds. Nothing here is retried: the façade never makes ESUP-SGC wait.
 */
export interface RouterReads {
  /** GET /persons/{esi}: true (held), false (404, or another organisation's `SE-0000`), undefined (no answer). */
  personExists (esi: string): Promise<boolean | undefined>
  /** GET /cards/{escn}/status: the CardStatusView, null for a 404, undefined without an answer. */
  cardStatus (escn: string): Promise<Record<string, unknown> | null | undefined>
  /** GET /persons?page&size: the router's page, undefined without an answer. */
  listPersons (page: number, size: number): Promise<{ content: unknown[], page: Record<string, unknown> } | undefined>
  /** DELETE /persons/{esi}: true once the router answered 2xx or 404, else false. */
  deletePerson (esi: string): Promise<boolean>
  close (): Promise<void>
}

export interface RouterReadsOptions {
  /** The router's REST base (…/esc-rest); undefined: no ESC downstream, every read unanswered. */
  baseUrl: string | undefined
  token: string | undefined
  deadlineMs: number
  dispatcher?: Dispatcher
}

const MAX_BYTES = 1024 * 1024

export function createRouterReads (options: RouterReadsOptions): RouterReads {
  const { baseUrl, token, deadlineMs } = options
  if (baseUrl === undefined || token === undefined) {
    return {
      personExists: async () => undefined,
      cardStatus: async () => undefined,
      listPersons: async () => undefined,
      deletePerson: async () => false,
      close: async () => {},
    }
  }
  const url = httpUrl(baseUrl, 'ESC façade: router URL')
  const basePath = url.pathname.replace(/\/+$/, '')
  const own = options.dispatcher === undefined ? new Agent({ connect: { timeout: deadlineMs }, keepAliveTimeout: 30_000 }) : undefined
  const dispatcher = options.dispatcher ?? (own as Agent)

  async function call (method: 'GET' | 'DELETE', path: string, auth: boolean): Promise<{ status: number, json: unknown } | undefined> {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'leocarte-gateway (esc façade)' }
    if (auth) headers.authorization = `Bearer ${token as string}`
    try {
      const response = await boundedRequest(dispatcher, { origin: url.origin, path: basePath + path, method, headers, headersTimeout: deadlineMs, bodyTimeout: deadlineMs }, { maxBytes: MAX_BYTES, deadlineMs })
      const text = response.body.toString('utf8')
      let json: unknown
      try {
        json = text.trim() === '' ? undefined : JSON.parse(text)
      } catch {
        json = undefined
      }
      return { status: response.statusCode, json }
    } catch {
      return undefined
    }
  }

  return {
    async personExists (esi) {
      const answer = await call('GET', ESC_PATHS.person(esi), true)
      if (answer === undefined) return undefined
      if (answer.status >= 200 && answer.status < 300) return isObject(answer.json) ? true : undefined
      if (answer.status === 404) return false
      if (isObject(answer.json) && answer.json.code === 'SE-0000' && (answer.status === 401 || answer.status === 403)) return false
      return undefined
    },
    async cardStatus (escn) {
      const answer = await call('GET', ESC_PATHS.cardStatus(escn), false)
      if (answer === undefined) return undefined
      if (answer.status === 404) return null
      if (answer.status >= 200 && answer.status < 300 && isObject(answer.json) && typeof answer.json.status === 'string') return answer.json
      return undefined
    },
    async listPersons (page, size) {
      const answer = await call('GET', `${ESC_PATHS.persons()}?page=${page}&size=${size}`, true)
      if (answer === undefined || answer.status < 200 || answer.status >= 300 || !isObject(answer.json)) return undefined
      const { content, page: pageView } = answer.json
      if (!Array.isArray(content) || !isObject(pageView)) return undefined
      return { content, page: pageView }
    },
    async deletePerson (esi) {
      const answer = await call('DELETE', ESC_PATHS.person(esi), true)
      return answer !== undefined && ((answer.status >= 200 && answer.status < 300) || answer.status === 404)
    },
    async close () {
      await own?.close()
    },
  }
}

function isObject (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
