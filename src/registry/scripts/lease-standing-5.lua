-- A sync job's first look, in one round trip: takes the (downstream, card) lease, and only when it is
-- taken reads where the downstream stands with the card (as standing-3.lua) and the fields asked of the
-- downstream's breaker hash (what the job passes before it calls).
-- KEYS[1] lease, KEYS[2] card hash, KEYS[3] sync hash, KEYS[4] attention hash, KEYS[5] breaker hash
-- ARGV[1] lease token, ARGV[2] lease ttl (ms), ARGV[3] card id, ARGV[4..] breaker fields
-- Returns {0} when the lease is held elsewhere, else {1, record JSON or false, flat sync hash,
-- attention JSON or false, breaker values}
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then
  return {0}
end
local breaker = {}
if #ARGV > 3 then
  breaker = redis.call('HMGET', KEYS[5], unpack(ARGV, 4))
end
return {1, redis.call('HGET', KEYS[2], 'record'), redis.call('HGETALL', KEYS[3]), redis.call('HGET', KEYS[4], ARGV[3]), breaker}
