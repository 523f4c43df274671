import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { type Client, createClientAsync, WSSecurity } from 'soap'
import type { IzlyOppositionReason, IzlyRightHolder, IzlySmartCard } from '../../domain/izly-plan.ts'
import { httpUrl } from '../http-url.ts'
import { IZLY_ALREADY_OPPOSED, IZLY_RIGHT_HOLDER_EXISTS, IZLY_UNKNOWN_HOLDER, type IzlyFailure } from './fault-classification.ts'
import { hasIzlyCode, isIzlyNotFound, izlyError } from './izly-error.ts'
import type {
  IzlyAccountStatus, IzlyBlockingStatus, IzlyCallContext, IzlyCreateOutcome, IzlyOppositionOutcome, IzlyPort,
  IzlyRightHolderStatus, IzlySmartCardStatus,
} from './port.ts'
import { isOpposed } from './opposition.ts'
import { readSoapFailure } from './soap-failure.ts'
import { GuardedSoapTransport } from './soap-transport.ts'
import { readRightHolder, readSmartCard, textOf, writeRightHolder, writeSmartCard } from './soap-mapping.ts'
import { isAnswerOf, IZLY_WSDL_PATH, type IzlyOperation, KEEP_DATES_AS_TEXT } from './wsdl-contract.ts'

export type * from './port.ts'

export interface IzlyClientOptions {
  /** SOAP endpoint of the Izly card service (the WSDL's soap:address is a placeholder). */
  endpoint: string
  /** WS-Security UsernameToken (PasswordText), sent when both username and password are set. */
  username?: string
  password?: string
  /** Whole-call timeout in milliseconds, connection included. @defaultValue 30000 (ESUP-SGC's read timeout) */
  timeoutMs?: number
  /** Largest answer body read, bytes (an Izly answer is under 2 KiB). @defaultValue 1048576 */
  maxResponseBytes?: number
}

const DEFAULT_TIMEOUT_MS = 30_000
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024

type Answer = { ok: true, body: Record<string, unknown> } | { ok: false, failure: IzlyFailure }

/**
 * Builds the Izly port on node-soap from wsdl/izly-card-service.wsdl. Call once and share: the WSDL
 * is parsed here, and the client keeps its connections alive until close().
 */
export async function createIzlyClient (options: IzlyClientOptions): Promise<IzlyPort> {
  const { endpoint, timeoutMs, maxResponseBytes } = checkOptions(options)
  const soapClient = await createClientAsync(IZLY_WSDL_PATH, {
    endpoint,
    // Created once per gateway: no need to share node-soap's process-wide WSDL cache between clients.
    disableCache: true,
    customDeserializer: KEEP_DATES_AS_TEXT,
    httpClient: new GuardedSoapTransport(maxResponseBytes),
  })
  if (options.username !== undefined && options.password !== undefined) {
    soapClient.setSecurity(new WSSecurity(options.username, options.password, { passwordType: 'PasswordText', hasTimeStamp: false }))
  }
  // Our own agents, so that close() can end the kept-alive sockets.
  const httpAgent = new HttpAgent({ keepAlive: true })
  const httpsAgent = new HttpsAgent({ keepAlive: true })

  async function call (operation: IzlyOperation, args: Record<string, unknown>, ctx: IzlyCallContext): Promise<Answer> {
    const method = soapClient[`${operation}Async`] as Client[string]
    const deadlineMs = ctx.timeoutMs ?? timeoutMs
    // One deadline for the whole call, whatever phase is slow (redirects and size: soap-transport.ts).
    const callOptions = { signal: AbortSignal.timeout(deadlineMs), httpAgent, httpsAgent }
    try {
      const [body] = await method(args, callOptions, { 'X-Correlation-Id': ctx.correlationId }) as [unknown]
      return isAnswerOf(operation, body) ? { ok: true, body } : { ok: false, failure: { kind: 'invalid-response', status: 200 } }
    } catch (error) {
      return { ok: false, failure: readSoapFailure(error, deadlineMs) }
    }
  }

  /** The answer's body, or the DownstreamError it calls for. */
  async function expectBody (operation: IzlyOperation, args: Record<string, unknown>, ctx: IzlyCallContext): Promise<Record<string, unknown>> {
    const answer = await call(operation, args, ctx)
    if (!answer.ok) throw izlyError(operation, answer.failure)
    return answer.body
  }

  /** A read: the answer's body, null when Izly does not know what was asked about, or the DownstreamError. */
  async function read (operation: IzlyOperation, args: Record<string, unknown>, ctx: IzlyCallContext): Promise<Record<string, unknown> | null> {
    const answer = await call(operation, args, ctx)
    if (answer.ok) return answer.body
    if (isIzlyNotFound(answer.failure)) return null
    throw izlyError(operation, answer.failure)
  }

  return {
    async getRightHolder (identifier: string, ctx: IzlyCallContext): Promise<IzlyRightHolderStatus | null> {
      const body = await read('GetRightHolder', { identifier }, ctx)
      return body === null ? null : readRightHolderStatus(body)
    },

    async createRightHolder (rightHolder: IzlyRightHolder, ctx: IzlyCallContext): Promise<IzlyCreateOutcome> {
      const answer = await call('UpsertRightHolder', { rightHolder: writeRightHolder(rightHolder), mode: 'CREATE' }, ctx)
      if (answer.ok) return 'created'
      if (hasIzlyCode(answer.failure, IZLY_RIGHT_HOLDER_EXISTS)) return 'already-exists'
      throw izlyError('UpsertRightHolder', answer.failure)
    },

    async updateRightHolder (rightHolder: IzlyRightHolder, ctx: IzlyCallContext): Promise<void> {
      await expectBody('UpsertRightHolder', { rightHolder: writeRightHolder(rightHolder), mode: 'UPDATE' }, ctx)
    },

    async patchIdentifier (patch, ctx): Promise<void> {
      const args = { currentIdentifier: patch.currentIdentifier, ...(patch.email === undefined ? {} : { email: patch.email }), newIdentifier: patch.newIdentifier }
      await expectBody('PatchIdentifier', args, ctx)
    },

    async uncloseRightHolder (identifier: string, ctx: IzlyCallContext): Promise<void> {
      await expectBody('UncloseRightHolder', { identifier }, ctx)
    },

    async registerSmartCard (identifier: string, smartCard: IzlySmartCard, ctx: IzlyCallContext): Promise<void> {
      await expectBody('RegisterSmartCard', { identifier, smartCard: writeSmartCard(smartCard) }, ctx)
    },

    async getSmartCard (identifier: string, idZdc: string, ctx: IzlyCallContext): Promise<IzlySmartCardStatus | null> {
      const body = await read('GetSmartCard', { identifier, idZdc }, ctx)
      return body === null ? null : readSmartCardStatus(body)
    },

    async opposeSmartCard (req, ctx): Promise<IzlyOppositionOutcome> {
      const args = { identifier: req.identifier, idZdc: req.idZdc, uid: req.uid, reason: req.reason, cancelDate: req.cancelDate }
      const answer = await call('OpposeSmartCard', args, ctx)
      if (answer.ok) return answer.body.result === 'ALREADY_OPPOSED' ? 'already-opposed' : 'opposed'
      if (hasIzlyCode(answer.failure, IZLY_ALREADY_OPPOSED)) return 'already-opposed'
      if (isIzlyNotFound(answer.failure)) return 'not-found'
      if (hasIzlyCode(answer.failure, IZLY_UNKNOWN_HOLDER)) return 'unknown-holder'
      throw izlyError('OpposeSmartCard', answer.failure)
    },

    async revalidateSmartCard (req, ctx): Promise<void> {
      const args = { identifier: req.identifier, idZdc: req.idZdc, uid: req.uid, revalidationDate: req.revalidationDate }
      await expectBody('RevalidateSmartCard', args, ctx)
    },

    async close (): Promise<void> {
      httpAgent.destroy()
      httpsAgent.destroy()
    },
  }
}

function checkOptions (options: IzlyClientOptions): { endpoint: string, timeoutMs: number, maxResponseBytes: number } {
  const url = httpUrl(options.endpoint, 'Izly client: endpoint')
  if ((options.username === undefined) !== (options.password === undefined)) {
    throw new TypeError('Izly client: username and password go together (WS-Security UsernameToken)')
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new TypeError('Izly client: timeoutMs must be a positive integer (milliseconds)')
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
  if (!Number.isInteger(maxResponseBytes) || maxResponseBytes <= 0) throw new TypeError('Izly client: maxResponseBytes must be a positive integer (bytes)')
  return { endpoint: url.href, timeoutMs, maxResponseBytes }
}

function readRightHolderStatus (body: Record<string, unknown>): IzlyRightHolderStatus {
  return {
    rightHolder: readRightHolder(body.rightHolder),
    accountStatus: textOf(body.accountStatus) as IzlyAccountStatus,
    blockingStatus: textOf(body.blockingStatus) as IzlyBlockingStatus,
  }
}

function readSmartCardStatus (body: Record<string, unknown>): IzlySmartCardStatus {
  const cancelDate = textOf(body.cancelDate)
  const revalidationDate = textOf(body.revalidationDate)
  const reason = textOf(body.reason) as IzlyOppositionReason | undefined
  return {
    smartCard: readSmartCard(body.smartCard),
    opposed: isOpposed(cancelDate, revalidationDate),
    ...(reason === undefined ? {} : { reason }),
    ...(cancelDate === undefined ? {} : { cancelDate }),
    ...(revalidationDate === undefined ? {} : { revalidationDate }),
  }
}
