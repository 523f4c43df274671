-- Records a failed run in one downstream's activity list of a card, coalescing repeats: when the run
-- before it made the same calls with the same answers and met the same fault at the same version (same
-- signature), that run's fault line gains a count and a last time instead of the list growing: a day-long
-- outage is one line, not 300. Otherwise the run's line is appended and the list capped.
-- KEYS[1] activity list
-- ARGV[1] fault entry JSON (its `at` is now), ARGV[2] signature, ARGV[3] call lines this run appended just
-- before, ARGV[4] list cap
-- Returns {count, first time (ISO) of this repeated fault}
local calls = tonumber(ARGV[3])
local fault = cjson.decode(ARGV[1])
local previous = redis.call('LINDEX', KEYS[1], -(calls + 1))
if previous then
  local ok, entry = pcall(cjson.decode, previous)
  if ok and type(entry) == 'table' and entry.type == 'fault' and entry.signature == ARGV[2] then
    -- This run's call lines repeat the previous run's, line for line: drop them, count the run.
    if calls > 0 then
      redis.call('LTRIM', KEYS[1], 0, -(calls + 1))
    end
    entry.count = (tonumber(entry.count) or 1) + 1
    entry.lastAt = fault.at
    entry.attempt = fault.attempt
    entry.message = fault.message
    redis.call('LSET', KEYS[1], -1, cjson.encode(entry))
    return {entry.count, entry.firstAt or entry.at}
  end
end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[4]), -1)
return {1, fault.at}
