import { readFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import type { Redis } from 'ioredis'

/** Nearest-rank percentile of `values` (p in 0..100); NaN when empty. */
export function percentile (values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1] as number
}

export function machineLine (): string {
  const cpu = cpus()
  return `machine: ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${process.platform}/${process.arch}`
}

export interface Row {
  measure: string
  gateway: number
  baseline: number
  unit: string
  /** Digits after the decimal point. */
  digits?: number
}

function formatNumber (value: number, digits: number): string {
  if (!Number.isFinite(value)) return 'n/a'
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** A plain-text table, numbers right-aligned. */
export function renderTable (headers: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)))
  const line = (cells: string[]): string => '| ' + cells.map((cell, column) => {
    const width = widths[column] ?? 0
    return rightAligned[column] === true ? cell.padStart(width) : cell.padEnd(width)
  }).join(' | ') + ' |'
  const rule = '|' + widths.map((width) => '-'.repeat(width + 2)).join('|') + '|'
  return [line(headers), rule, ...rows.map(line)].join('\n')
}

export function renderResults (rows: Row[]): string {
  return renderTable(
    ['measure', 'gateway', 'baseline', 'unit', 'gateway/baseline'],
    rows.map((row) => {
      const digits = row.digits ?? 0
      const ratio = row.baseline === 0 ? Number.NaN : row.gateway / row.baseline
      return [row.measure, formatNumber(row.gateway, digits), formatNumber(row.baseline, digits), row.unit, Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : 'n/a']
    }),
    [false, true, true, false, true],
  )
}

/** What a measured stretch cost: the main thread's busy share and event-loop delay, Redis CPU and commands. */
export interface Probe {
  stop (): Promise<ProbeResult>
}

export interface ProbeResult {
  wallMs: number
  /** Busy share of the main thread's event loop (0..1): near 1 means the server thread is the bottleneck. */
  mainElu: number
  /** Event-loop delay of the main thread, p99, in ms. */
  loopDelayP99Ms: number
  /** CPU of the whole Node process (all threads), in cores. */
  processCores: number
  /** CPU of redis-server, in cores. */
  redisCores: number
  redisCommands: number
  /** CPU used by everything else on the machine (other test runs...), in cores; NaN where /proc/stat is missing. */
  otherCores: number
}

/** Busy CPU time of the whole machine in seconds (Linux /proc/stat, USER_HZ = 100), NaN elsewhere. */
function machineBusySeconds (): number {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal: everything but idle and iowait.
    const busy = fields.slice(0, 8).reduce((sum, value, index) => index === 3 || index === 4 ? sum : sum + value, 0)
    return busy / 100
  } catch {
    return Number.NaN
  }
}

async function redisCounters (redis: Redis): Promise<{ cpu: number, commands: number }> {
  const info = await redis.info()
  const field = (name: string): number => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN)
  return { cpu: field('used_cpu_user') + field('used_cpu_sys'), commands: field('total_commands_processed') }
}

/**
 * Waits, within what is left of `budget.ms`, until the rest of the machine (other test runs on a shared
 * box) uses less than `maxOtherCores` over half a second. Returns what it used in the last sample.
 */
export async function waitForQuiet (budget: { ms: number }, maxOtherCores = 0.25): Promise<number> {
  for (;;) {
    const started = performance.now()
    const machineStart = machineBusySeconds()
    const cpu = process.cpuUsage()
    await new Promise((resolve) => setTimeout(resolve, 500))
    const wallMs = performance.now() - started
    const used = process.cpuUsage(cpu)
    const other = ((machineBusySeconds() - machineStart) * 1000 - (used.user + used.system) / 1000) / wallMs
    budget.ms -= wallMs
    if (!Number.isFinite(other) || other < maxOtherCores || budget.ms <= 0) return other
  }
}

export async function startProbe (redis: Redis): Promise<Probe> {
  const redisStart = await redisCounters(redis)
  const elu = performance.eventLoopUtilization()
  const cpu = process.cpuUsage()
  const machineStart = machineBusySeconds()
  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()
  const started = performance.now()
  return {
    async stop () {
      const wallMs = performance.now() - started
      const mainElu = performance.eventLoopUtilization(elu).utilization
      const used = process.cpuUsage(cpu)
      delay.disable()
      const redisEnd = await redisCounters(redis)
      const machineCores = (machineBusySeconds() - machineStart) * 1000 / wallMs
      const processCores = (used.user + used.system) / 1000 / wallMs
      const redisCores = (redisEnd.cpu - redisStart.cpu) * 1000 / wallMs
      return {
        wallMs,
        mainElu,
        loopDelayP99Ms: delay.percentile(99) / 1e6,
        processCores,
        redisCores,
        otherCores: Math.max(0, machineCores - processCores - redisCores),
        // The INFO call itself is one command.
        redisCommands: redisEnd.commands - redisStart.commands - 1,
      }
    },
  }
}
