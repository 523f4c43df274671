import { connect, type Socket } from 'node:net'

/** The head of an HTTP answer read off a raw socket. */
export interface RawAnswer {
  status: number
  headers: Record<string, string>
}

/**
 * An HTTP/1.1 exchange on a raw socket, for what no HTTP client lets a test do: send a head promising a
 * body that never (or only slowly) comes, and see when the server answers or hangs up.
 */
export class RawExchange {
  readonly #socket: Socket
  #received = ''
  /** Resolves with the answer's status and headers as soon as its head has arrived. */
  readonly answered: Promise<RawAnswer>
  /** Resolves when the connection is closed, by either side. */
  readonly closed: Promise<void>
  #isClosed = false

  constructor (origin: string) {
    const url = new URL(origin)
    this.#socket = connect(Number(url.port), url.hostname)
    this.#socket.on('error', () => {})
    this.answered = new Promise((resolve) => {
      this.#socket.on('data', (chunk: Buffer) => {
        this.#received += chunk.toString('latin1')
        const end = this.#received.indexOf('\r\n\r\n')
        if (end !== -1) resolve(parseHead(this.#received.slice(0, end)))
      })
    })
    this.closed = new Promise((resolve) => this.#socket.on('close', () => {
      this.#isClosed = true
      resolve()
    }))
  }

  get isClosed (): boolean {
    return this.#isClosed
  }

  /** Everything the server sent so far. */
  get received (): string {
    return this.#received
  }

  /** Writes unless the connection is closed; resolves once the data is handed to the kernel. */
  async write (data: string | Buffer): Promise<boolean> {
    if (this.#isClosed || this.#socket.destroyed) return false
    return await new Promise((resolve) => this.#socket.write(data, (error) => resolve(error === undefined || error === null)))
  }

  destroy (): void {
    this.#socket.destroy()
  }
}

function parseHead (head: string): RawAnswer {
  const [statusLine = '', ...lines] = head.split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { status: Number(statusLine.split(' ')[1]), headers }
}

/** A request head (`POST /x HTTP/1.1` with Host and the given headers), ending with the blank line. */
export function requestHead (method: string, path: string, origin: string, headers: Record<string, string | number>): string {
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${new URL(origin).host}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)]
  return lines.join('\r\n') + '\r\n\r\n'
}
