// `npm run check:izly [identifier]`: is the configured Izly transport reachable with these credentials?
// Reads the same environment as the gateway (IZLY_API_URL, IZLY_ACCESS_URL, IZLY_CLIENT_ID,
// IZLY_CLIENT_SECRET, or IZLY_SOAP_URL...). Over the API CROUS it gets a token, then reads a right holder
// (a probe identifier no one has, or the one given) and says whether the answer is the API's. Prints
// statuses and codes only, never a name, an e-mail or a birth date. Exit code 0 when the transport works.
import { randomBytes } from 'node:crypto'
import { loadConfig, ConfigError } from '../src/config/load.ts'
import { DownstreamError } from '../src/downstream/errors.ts'
import { createIzlyPort, isRestClient } from '../src/downstream/izly/create-port.ts'

const PROBE = 'leocarte-connection-check'

function say (line: string): void {
  process.stdout.write(`${line}\n`)
}

async function main (): Promise<number> {
  let config
  try {
    // The check needs no SGC secret: it runs as a worker would. It keys nothing by the pseudonym key
    // either, so a throw-away one stands in when none is configured.
    const pseudonym = process.env.PSEUDONYM_KEY === undefined && process.env.PSEUDONYM_KEY_FILE === undefined
      ? { PSEUDONYM_KEY: randomBytes(32).toString('base64url') }
      : {}
    config = loadConfig({ ...process.env, ...pseudonym, GATEWAY_ROLE: 'worker' })
  } catch (error) {
    if (error instanceof ConfigError) {
      say(`configuration error: ${error.message}`)
      return 1
    }
    throw error
  }
  if (config.simulators) {
    say('SIMULATORS is on: the gateway would talk to its own simulator. Set IZLY_API_URL (and IZLY_CLIENT_ID, IZLY_CLIENT_SECRET) or IZLY_SOAP_URL to check a real endpoint.')
    return 1
  }
  const identifier = process.argv[2] ?? PROBE
  const port = await createIzlyPort(config.izly)
  const ctx = { correlationId: `check-${Date.now()}` }
  try {
    if (isRestClient(port)) {
      say(`transport   API CROUS (REST) at ${config.izly.apiUrl ?? ''}/beforeizly/v1`)
      const token = await port.checkToken(ctx)
      say(`token       obtained from ${token.tokenUrl}${token.lifetimeSeconds === undefined ? ' (no expires_in given)' : `, valid ${token.lifetimeSeconds} s`}`)
    } else {
      say(`transport   SOAP card service at ${config.izly.soapUrl ?? ''}`)
    }
    const holder = await port.getRightHolder(identifier, ctx)
    if (holder === null) {
      say(`read        GetRightHolder(${identifier === PROBE ? 'a probe identifier' : 'the identifier given'}): unknown holder, answered by Izly itself`)
    } else {
      say(`read        GetRightHolder: found (account ${holder.accountStatus ?? '?'}, blocking ${holder.blockingStatus ?? '?'}, company rate ${holder.rightHolder.idCompanyRate ?? '?'})`)
    }
    say('result      OK: the gateway can reach Izly with this configuration')
    return 0
  } catch (error) {
    if (!(error instanceof DownstreamError)) throw error
    say(`result      FAILED: ${error.code}${error.httpStatus === undefined ? '' : ` (HTTP ${error.httpStatus})`}: ${error.message}`)
    if (error.code === 'HTTP_404') say('hint        a 404 that is not the API\'s own: check IZLY_API_URL (the base only, e.g. https://api.lescrous.fr)')
    if (error.code === 'HTTP_401' || error.code === 'HTTP_403') say('hint        the token was refused by the API: CNOUS must grant these credentials access to beforeizly')
    return 1
  } finally {
    await port.close()
  }
}

process.exitCode = await main()
