/**
 * The Izly simulator in a process of its own, for the outage phase of the bench: Izly is remote in a
 * deployment, so its work must not be counted on the gateway's thread. Prints `{"url", "controlUrl"}`
 * as one JSON line on stdout once listening; driven through its control API; stops on SIGTERM.
 */
import { startIzlySimulator } from '../../src/simulators/izly/server.ts'

const simulator = await startIzlySimulator({ host: '127.0.0.1', port: 0 })
process.stdout.write(JSON.stringify({ url: simulator.url, controlUrl: simulator.controlUrl }) + '\n')
process.once('SIGTERM', () => { simulator.close().then(() => process.exit(0), () => process.exit(1)) })
