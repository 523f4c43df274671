-- A downstream answered a call (a success, or a verdict on the card): its failures are forgotten and an
-- open breaker closes; the enablement lane then waits until the oppositions have drained ('draining').
-- A doubtful fault that outlasted its bound is a verdict too, but keeps the doubt (ARGV[1] '0'), so that
-- the other cards meeting it go to "needs attention" at once rather than each waiting out the bound again.
-- KEYS[1] breaker hash; ARGV[1] '1' to forget since when the downstream answered only doubtful faults, ARGV[2] now (ms)
-- Returns 1 when the breaker was open.
local wasOpen = redis.call('HEXISTS', KEYS[1], 'openUntil')
if wasOpen == 1 then
  redis.call('HSET', KEYS[1], 'draining', '1', 'closedAt', ARGV[2])
end
redis.call('HDEL', KEYS[1], 'openUntil', 'failures')
if ARGV[1] == '1' then
  redis.call('HDEL', KEYS[1], 'suspectSince')
end
return wasOpen
