import { AsyncLocalStorage } from 'node:async_hooks'
import { type IOptions, type IServerOptions, type IServicePort, listen, passwordDigest, type Server } from 'soap'
import { matchesSecret } from '../../app/secret-match.ts'
import type { IzlyOppositionReason, IzlyRightHolder } from '../../domain/izly-plan.ts'
import { definedOnly, readRightHolder, readSmartCard, textOf, writeRightHolder, writeSmartCard } from '../../downstream/izly/soap-mapping.ts'
import { IZLY_NAMESPACE, type IzlyOperation, KEEP_DATES_AS_TEXT } from '../../downstream/izly/wsdl-contract.ts'
import type { CallSummary, IzlySimulatorControls } from './controls.ts'
import { takeScriptedAnswer } from './fault-script.ts'
import { IzlyFaultAnswer, type SimulatedCard, type SimulatedFault, type SimulatedHolder } from './state.ts'

export const SOAP_PATH = '/izly/soap'

/** What a service handler tells the HTTP layer beyond the SOAP envelope, for the request in flight. */
export interface SoapExchange {
  /** Answer this bare HTTP status instead of the envelope (a scripted 503 or 429). */
  bare?: { status: number, retryAfterSeconds?: number }
}

/** node-soap runs the handler inside processRequest: this carries the exchange down to it. */
export const soapExchange = new AsyncLocalStorage<SoapExchange>()

export interface Credentials {
  username: string
  password: string
}

type Args = Record<string, unknown>

/**
 * The Izly card service of the WSDL on node-soap's serverless server: the HTTP layer feeds it
 * requests with processRequest and sends what it returns.
 */
export function createIzlySoapService (wsdlXml: string, controls: IzlySimulatorControls, credentials: Credentials | undefined): Promise<Server> {
  const { state } = controls
  const operations: Record<IzlyOperation, (args: Args) => Args> = {
    GetRightHolder: (args) => rightHolderAnswer(state.getRightHolder(text(args.identifier))),
    UpsertRightHolder: (args) => ({ result: upsert(readRightHolder(args.rightHolder), textOf(args.mode)) }),
    PatchIdentifier: (args) => ({ result: state.patchIdentifier(text(args.currentIdentifier), text(args.newIdentifier)) }),
    UncloseRightHolder: (args) => ({ result: state.uncloseRightHolder(text(args.identifier)) }),
    RegisterSmartCard: (args) => ({ result: state.registerSmartCard(text(args.identifier), readSmartCard(args.smartCard)) }),
    GetSmartCard: (args) => smartCardAnswer(state.getSmartCard(text(args.identifier), text(args.idZdc))),
    OpposeSmartCard: (args) => ({
      result: state.opposeSmartCard(text(args.identifier), text(args.idZdc), text(args.reason) as IzlyOppositionReason, text(args.cancelDate)),
    }),
    RevalidateSmartCard: (args) => ({ result: state.revalidateSmartCard(text(args.identifier), text(args.idZdc), text(args.revalidationDate)) }),
  }

  function upsert (rightHolder: IzlyRightHolder, mode: string | undefined): string {
    if (mode === 'CREATE') return state.createRightHolder(rightHolder)
    if (mode === 'UPDATE') return state.updateRightHolder(rightHolder.identifier, rightHolder, 'merge')
    return state.upsertRightHolder(rightHolder)
  }

  const port: IServicePort = {}
  for (const [operation, run] of Object.entries(operations) as Array<[IzlyOperation, (args: Args) => Args]>) {
    port[operation] = async (args: Args | undefined, _callback: unknown, soapHeaders: unknown, request: { headers?: Record<string, unknown> } | undefined) => {
      const summary = summarise(args ?? {})
      const record = (httpStatus: number, outcome: { result?: string, code?: string }): void => {
        controls.calls.push({
          operation,
          transport: 'soap',
          at: Date.now(),
          correlationId: textOf(request?.headers?.['x-correlation-id']),
          ...summary,
          httpStatus,
          ...outcome,
        })
      }
      try {
        if (credentials !== undefined && !hasValidUsernameToken(soapHeaders, credentials)) {
          throw new IzlyFaultAnswer({ httpStatus: 401, code: 'HTTP_401', message: 'WS-Security UsernameToken missing or invalid', retryable: false })
        }
        const scripted = takeScriptedAnswer(controls.faults, operation, summary)
        if (scripted?.kind === 'http') {
          const exchange = soapExchange.getStore()
          if (exchange !== undefined) exchange.bare = scripted
          // Only recorded: the HTTP layer answers the bare status instead of this fault.
          throw new IzlyFaultAnswer({ httpStatus: scripted.status, code: `HTTP_${scripted.status}`, message: 'Scripted HTTP status', retryable: true })
        }
        if (scripted?.kind === 'fault') throw new IzlyFaultAnswer(scripted.fault)
        const answer = run(args ?? {})
        const result = textOf(answer.result)
        record(200, result === undefined ? {} : { result })
        return answer
      } catch (error) {
        if (!(error instanceof IzlyFaultAnswer)) throw error
        record(error.fault.httpStatus, { code: error.fault.code })
        throw toSoapFault(error.fault)
      }
    }
  }

  return new Promise((resolve, reject) => {
    const options: IServerOptions & Pick<IOptions, 'customDeserializer'> = {
      path: SOAP_PATH,
      services: { IzlyCardService: { IzlyCardServicePort: port } },
      xml: wsdlXml,
      // Read by node-soap's WSDL for servers too, though only its client options type declares it.
      customDeserializer: KEEP_DATES_AS_TEXT,
      suppressStack: true,
      // An unreadable envelope gets a SOAP fault, not a thrown parse error.
      returnFault: true,
      callback: (error: unknown, server: Server) => { error ? reject(error) : resolve(server) },
    }
    listen(null, options)
  })
}

/**
 * A SOAP 1.1 fault with the IzlyFault detail. statusCode must be set: node-soap otherwise sends
 * faults with HTTP 200.
 */
function toSoapFault (fault: SimulatedFault): { Fault: Record<string, unknown> } {
  return {
    Fault: {
      faultcode: fault.httpStatus >= 500 ? 'soap:Server' : 'soap:Client',
      faultstring: fault.message,
      detail: {
        IzlyFault: {
          // node-soap writes fault details unqualified; the default namespace puts them in the WSDL's.
          attributes: { xmlns: IZLY_NAMESPACE },
          httpStatus: fault.httpStatus,
          code: fault.code,
          message: fault.message,
          ...(fault.field === undefined ? {} : { field: fault.field }),
          retryable: fault.retryable,
        },
      },
      statusCode: 500,
    },
  }
}

/** PasswordText, or PasswordDigest (base64 SHA-1 of nonce + created + password). */
function hasValidUsernameToken (soapHeaders: unknown, credentials: Credentials): boolean {
  const token = (soapHeaders as { Security?: { UsernameToken?: Record<string, unknown> } } | undefined)?.Security?.UsernameToken
  if (token === undefined || token === null) return false
  const password = token.Password as { $value?: unknown, attributes?: { Type?: string } } | string | undefined
  const given = typeof password === 'string' ? password : textOf(password?.$value)
  const type = typeof password === 'object' ? password.attributes?.Type ?? '' : ''
  if (textOf(token.Username) !== credentials.username || given === undefined) return false
  const nonce = token.Nonce as { $value?: unknown } | string | undefined
  const expected = type.endsWith('#PasswordDigest')
    ? passwordDigest(textOf(typeof nonce === 'object' ? nonce.$value : nonce) ?? '', textOf(token.Created) ?? '', credentials.password)
    : credentials.password
  return matchesSecret([expected], given)
}

/** Only keys and the reason: no names, e-mails, birth dates or INE reach the call log. */
function summarise (args: Args): CallSummary {
  const holder = args.rightHolder as Args | undefined
  const card = args.smartCard as Args | undefined
  const summary: CallSummary = {}
  const identifier = textOf(args.identifier ?? args.currentIdentifier ?? holder?.identifier)
  const idZdc = textOf(args.idZdc ?? card?.idZdc)
  const uid = textOf(args.uid ?? card?.uid)
  const reason = textOf(args.reason)
  if (identifier !== undefined) summary.identifier = identifier
  if (idZdc !== undefined) summary.idZdc = idZdc
  if (uid !== undefined) summary.uid = uid
  if (reason !== undefined) summary.reason = reason
  return summary
}

/** Elements in the order of the schema's xs:sequence. */
function rightHolderAnswer (holder: SimulatedHolder): Args {
  return { rightHolder: writeRightHolder(holder.rightHolder), accountStatus: holder.accountStatus, blockingStatus: holder.blockingStatus }
}

function smartCardAnswer (card: SimulatedCard): Args {
  return definedOnly({
    smartCard: writeSmartCard(card.smartCard),
    cancelDate: card.cancelDate,
    reason: card.reason,
    revalidationDate: card.revalidationDate,
  })
}

function text (value: unknown): string {
  return textOf(value) ?? ''
}
