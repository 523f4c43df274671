// ESUP-SGC replay (replay.ts), CROUS up and down, over both Izly transports.
import t from 'tap'
import { replay } from './helpers/replay.ts'

// Generous: on a loaded 2-vCPU machine (the suite runs two files at once) this takes minutes, not seconds.
t.setTimeout(360_000)

replay(t, ['up', 'down'])
