-- A downstream failed to serve a call (an outage fault): one more failure since its last success. The
-- breaker opens at `threshold` (0: never) and, once open, every further failure (a probe that met the
-- outage again) keeps it open for `openMs` more. A doubtful fault (a refused credential, a 200 that is
-- not the answer) also notes since when the downstream has only answered that way.
-- KEYS[1] breaker hash; ARGV[1] now (ms), ARGV[2] threshold, ARGV[3] open time (ms, Retry-After included),
-- ARGV[4] '1' for a doubtful fault, ARGV[5] fault code
-- Returns {open until (ms, 0 = closed), failures, doubtful since (ms, 0 = not)}
local now = tonumber(ARGV[1])
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('HSET', KEYS[1], 'lastCode', ARGV[5], 'lastFailureAt', ARGV[1])
local suspect = tonumber(redis.call('HGET', KEYS[1], 'suspectSince') or '0')
if ARGV[4] == '1' and suspect == 0 then
  suspect = now
  redis.call('HSET', KEYS[1], 'suspectSince', ARGV[1])
end
local openUntil = tonumber(redis.call('HGET', KEYS[1], 'openUntil') or '0')
local threshold = tonumber(ARGV[2])
if openUntil > 0 or (threshold > 0 and failures >= threshold) then
  if openUntil == 0 then
    redis.call('HSET', KEYS[1], 'openedAt', ARGV[1])
    redis.call('HINCRBY', KEYS[1], 'trips', 1)
    redis.call('HDEL', KEYS[1], 'draining')
  end
  openUntil = math.max(openUntil, now + tonumber(ARGV[3]))
  redis.call('HSET', KEYS[1], 'openUntil', openUntil)
end
return {openUntil, failures, suspect}
