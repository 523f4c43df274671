import { connect, createServer, type Server, type Socket } from 'node:net'
import type { Test } from 'tap'

/**
 * A TCP forwarder in front of a simulator that can be switched off: then its port refuses connections
 * (the listener is closed, open connections destroyed), as a host that is down does; on again, on the
 * same port. The simulators' own outage modes answer or reset; this one refuses.
 */
export interface TcpSwitch {
  port: number
  down (): Promise<void>
  up (): Promise<void>
}

export async function tcpSwitch (t: Test, target: { host: string, port: number }): Promise<TcpSwitch> {
  const sockets = new Set<Socket>()
  let port = 0
  let server: Server | undefined
  const listen = async (): Promise<void> => {
    const created = createServer((client) => {
      const upstream = connect(target.port, target.host)
      for (const socket of [client, upstream]) {
        sockets.add(socket)
        socket.on('close', () => sockets.delete(socket))
        socket.on('error', () => { client.destroy(); upstream.destroy() })
      }
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>((resolve, reject) => {
      created.once('error', reject)
      created.listen(port, '127.0.0.1', () => resolve())
    })
    port = (created.address() as { port: number }).port
    server = created
  }
  const close = async (): Promise<void> => {
    const closing = server
    server = undefined
    if (closing === undefined) return
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => closing.close(() => resolve()))
  }
  await listen()
  t.teardown(close)
  return {
    get port () { return port },
    down: close,
    async up () { if (server === undefined) await listen() },
  }
}
