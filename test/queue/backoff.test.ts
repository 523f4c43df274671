import t from 'tap'
import { retryDelayMs } from '../../src/queue/backoff.ts'

t.test('grows exponentially, with half of it jittered', async (t) => {
  t.equal(retryDelayMs(1, 1000, 300_000, 0, () => 0), 500)
  t.equal(retryDelayMs(1, 1000, 300_000, 0, () => 1), 1000)
  t.equal(retryDelayMs(4, 1000, 300_000, 0, () => 1), 8000)
  t.equal(retryDelayMs(4, 1000, 300_000, 0, () => 0), 4000)
})

t.test('is capped, however many attempts (no limit in number)', async (t) => {
  t.equal(retryDelayMs(1_000_000, 1000, 300_000, 0, () => 1), 300_000)
  t.ok(retryDelayMs(60, 1000, 300_000, 0, () => 0) >= 150_000)
})

t.test('honours a longer Retry-After', async (t) => {
  t.equal(retryDelayMs(1, 1000, 300_000, 120_000, () => 0), 120_000)
  t.equal(retryDelayMs(10, 1000, 300_000, 1, () => 1), 300_000)
})
