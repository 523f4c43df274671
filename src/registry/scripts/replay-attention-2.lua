-- An operator's replay: the card leaves "needs attention" and is marked dirty again, together, so that a
-- crash in between can never leave it in neither list (the sweeper would then never look at it).
-- KEYS[1] the downstream's attention hash, KEYS[2] its dirty set; ARGV[1] card id, ARGV[2] now (ms)
-- Returns 1 when there was an entry to replay.
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[1])
return 1
