-- Records that a downstream now matches a version of a card, if the caller still holds the card's lease.
-- Returns the card's desired version, so the worker knows whether to run again; -1 when the lease was lost
-- (then nothing is written: the caller records its call lines with the fault).
-- KEYS[1] sync hash, KEYS[2] card hash, KEYS[3] dirty set, KEYS[4] lease, KEYS[5] activity list
-- ARGV[1] lease token, ARGV[2] version, ARGV[3] remote state ('' = unchanged), ARGV[4] outcome, ARGV[5] now (ms),
-- ARGV[6] card id, ARGV[7] sync entry JSON, ARGV[8] activity cap,
-- ARGV[9] '1' to record the remote holder key ARGV[10] ('' = none any more), '0' to leave it as it is,
-- ARGV[11] '1' to release the lease when the desired version is then confirmed (the run ends here),
-- ARGV[12..] the run's call lines, appended before the sync entry (one round trip instead of one per call)
if redis.call('GET', KEYS[4]) ~= ARGV[1] then
  return -1
end
local confirmed = tonumber(redis.call('HGET', KEYS[1], 'confirmedVersion') or '0')
local version = tonumber(ARGV[2])
if version > confirmed then
  redis.call('HSET', KEYS[1], 'confirmedVersion', ARGV[2], 'outcome', ARGV[4], 'updatedAtMs', ARGV[5])
  if ARGV[3] ~= '' then
    redis.call('HSET', KEYS[1], 'remoteState', ARGV[3])
  end
  if ARGV[9] == '1' then
    if ARGV[10] == '' then
      redis.call('HDEL', KEYS[1], 'remoteHolder')
    else
      redis.call('HSET', KEYS[1], 'remoteHolder', ARGV[10])
    end
  end
  confirmed = version
end
for i = 12, #ARGV do
  redis.call('RPUSH', KEYS[5], ARGV[i])
end
redis.call('RPUSH', KEYS[5], ARGV[7])
redis.call('LTRIM', KEYS[5], -tonumber(ARGV[8]), -1)
local desired = tonumber(redis.call('HGET', KEYS[2], 'version') or '0')
if desired <= confirmed then
  redis.call('ZREM', KEYS[3], ARGV[6])
end
if ARGV[11] == '1' and desired <= version then
  redis.call('DEL', KEYS[4])
end
return desired
