/**
 * The client side of the hostile-body phase, in threads of its own so that it does not share the
 * gateway's event loop: with `attackers: 0` a probe asking `GET /health/live` one request at a time (a
 * short pause between two); otherwise that many connections each sending 8 MB deeply nested JSON bodies,
 * one after the other, to a path that takes no body or needs credentials they do not have. The probe and
 * the attackers run in two threads, so a busy attacker loop does not delay the probe's own timing.
 * Stops by itself after `durationMs`.
 */
import { request as httpRequest, Agent } from 'node:http'
import { connect } from 'node:net'
import { parentPort } from 'node:worker_threads'

export interface HostileJob {
  origin: string
  durationMs: number
  /** Paths with their extra headers; attacker i uses target i modulo their count. */
  targets: Array<{ path: string, headers: Record<string, string> }>
  attackers: number
  /** Pause between two probe requests, ms. */
  probeGapMs: number
}

export interface HostileResult {
  latenciesMs: number[]
  /** Attack requests answered (or cut) and bytes of body the attackers managed to send. */
  attackRequests: number
  attackBytesSent: number
  statuses: Record<string, number>
}

const BODY_BYTES = 8 * 1024 * 1024
/** `[[[[…]]]]`, 8 MiB: about a second of JSON.parse on one core. */
const NESTED = Buffer.concat([Buffer.alloc(BODY_BYTES / 2, '['), Buffer.alloc(BODY_BYTES / 2, ']')])
const CHUNK = 256 * 1024

async function attackOnce (origin: URL, target: HostileJob['targets'][number], statuses: Record<string, number>): Promise<number> {
  return await new Promise((resolve) => {
    const socket = connect(Number(origin.port), origin.hostname)
    let sent = 0
    let head = ''
    let done = false
    const finish = (): void => {
      if (done) return
      done = true
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 'cut'
      statuses[status] = (statuses[status] ?? 0) + 1
      socket.destroy()
      resolve(sent)
    }
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1')
      if (head.includes('\r\n\r\n')) finish()
    })
    socket.on('error', finish)
    socket.on('close', finish)
    socket.on('connect', () => {
      const headers = Object.entries({ 'Content-Type': 'application/json', 'Content-Length': String(BODY_BYTES), ...target.headers }).map(([name, value]) => `${name}: ${value}\r\n`).join('')
      socket.write(`POST ${target.path} HTTP/1.1\r\nHost: ${origin.host}\r\n${headers}\r\n`)
      const pump = (): void => {
        while (sent < BODY_BYTES && !socket.destroyed) {
          const slice = NESTED.subarray(sent, sent + CHUNK)
          sent += slice.length
          if (!socket.write(slice)) { socket.once('drain', pump); return }
        }
      }
      pump()
    })
  })
}

async function run (job: HostileJob): Promise<HostileResult> {
  const origin = new URL(job.origin)
  const deadline = Date.now() + job.durationMs
  const statuses: Record<string, number> = {}
  let attackRequests = 0
  let attackBytesSent = 0
  const attackers = Array.from({ length: job.attackers }, async (_, index) => {
    const target = job.targets[index % job.targets.length] as HostileJob['targets'][number]
    while (Date.now() < deadline) {
      attackBytesSent += await attackOnce(origin, target, statuses)
      attackRequests++
    }
  })
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const latenciesMs: number[] = []
  const probe = (async () => {
    while (job.attackers === 0 && Date.now() < deadline) {
      const started = performance.now()
      await new Promise<void>((resolve, reject) => {
        const request = httpRequest(`${job.origin}/health/live`, { agent }, (response) => {
          response.resume()
          response.on('end', () => resolve())
        })
        request.on('error', reject)
        request.end()
      })
      latenciesMs.push(performance.now() - started)
      await new Promise((resolve) => setTimeout(resolve, job.probeGapMs))
    }
  })()
  await Promise.all([probe, ...attackers])
  agent.destroy()
  return { latenciesMs, attackRequests, attackBytesSent, statuses }
}

parentPort?.on('message', (job: HostileJob) => {
  run(job).then((result) => parentPort?.postMessage({ result }), (error: unknown) => parentPort?.postMessage({ error: String(error) }))
})
