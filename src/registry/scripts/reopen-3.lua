-- Takes back a downstream's confirmation of a card's current version and marks the card dirty again,
-- so the next run asserts the desired state once more (every downstream call is idempotent).
-- KEYS[1] sync hash, KEYS[2] card hash, KEYS[3] dirty set; ARGV[1] now (ms), ARGV[2] card id
local desired = tonumber(redis.call('HGET', KEYS[2], 'version') or '0')
local confirmed = tonumber(redis.call('HGET', KEYS[1], 'confirmedVersion') or '0')
if desired > 0 and confirmed >= desired then
  redis.call('HSET', KEYS[1], 'confirmedVersion', desired - 1)
end
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[2])
return desired
