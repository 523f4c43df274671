-- Records a failed run in one downstream's activity list of a card, coalescing repeats: when the run
-- before it made the same calls with the same answers and met the same fault at the same version (same
-- signature), that run's fault line gains a count and a last time instead of the list growing: a day-long
-- outage is one line, not 300. Otherwise the run's call lines and its fault line are appended and the
-- list capped.
-- KEYS[1] activity list
-- ARGV[1] fault entry JSON (its `at` is now), ARGV[2] signature, ARGV[3] list cap, ARGV[4..] the run's
-- call lines (not yet in the list: the worker hands them over here, or with its confirmation)
-- Returns {count, first time (ISO) of this repeated fault}
local fault = cjson.decode(ARGV[1])
local previous = redis.call('LINDEX', KEYS[1], -1)
if previous then
  local ok, entry = pcall(cjson.decode, previous)
  if ok and type(entry) == 'table' and entry.type == 'fault' and entry.signature == ARGV[2] then
    -- This run's call lines repeat the previous run's, line for line: they are not kept, the run is counted.
    entry.count = (tonumber(entry.count) or 1) + 1
    entry.lastAt = fault.at
    entry.attempt = fault.attempt
    entry.message = fault.message
    redis.call('LSET', KEYS[1], -1, cjson.encode(entry))
    return {entry.count, entry.firstAt or entry.at}
  end
end
for i = 4, #ARGV do
  redis.call('RPUSH', KEYS[1], ARGV[i])
end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[3]), -1)
return {1, fault.at}
