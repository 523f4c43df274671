-- Accepts one card event atomically: idempotency record, desired state, lookup indexes, timeline and
-- the "dirty" marks that wake the sync. Either all of it is written or none of it.
-- Variable key count: KEYS[1] event key, KEYS[2] card key, KEYS[3] timeline key, then ARGV[9] dirty sets
-- (one per downstream); with a new record, then the holder's set of card ids and the index keys (CSN,
-- idZdc, ESCN of the card) that point to the card id; last, always, the card's erasure tombstone.
-- ARGV[1] fingerprint, ARGV[2] card id, ARGV[3] version the caller read, ARGV[4] new record JSON ('' = late event,
-- history only), ARGV[5] new version, ARGV[6] timeline entry JSON, ARGV[7] now (ms), ARGV[8] timeline cap,
-- ARGV[9] number of dirty-set keys, ARGV[10] the card's new state (kept beside the record, so that the
-- sweeper reads it without decoding the record), ARGV[11] when the idempotency record expires (epoch ms:
-- IDEMPOTENCY_RETENTION_DAYS after acceptance; past that an SGC resend would be taken as a new event),
-- ARGV[12] the event's occurredAtMs
-- A card whose personal data was erased (no card hash, a tombstone) takes an event no newer than its last
-- state as late: recorded as seen (idempotency record) but nothing else, so the card does not come back.
local held = redis.call('GET', KEYS[1])
if held then
  local cut = string.find(held, '\n', 1, true)
  if string.sub(held, 1, cut - 1) == ARGV[1] then
    return {'duplicate', string.sub(held, cut + 1)}
  end
  return {'conflict', string.sub(held, cut + 1)}
end
local current = redis.call('HGET', KEYS[2], 'version') or '0'
if current ~= ARGV[3] then
  -- Another event for this card landed since the caller read it: the caller merges again.
  return {'retry', current}
end
if ARGV[4] ~= '' and current == '0' then
  local erasedAt = tonumber(redis.call('HGET', KEYS[#KEYS], 'occurredAtMs') or '')
  if erasedAt and tonumber(ARGV[12]) <= erasedAt then
    redis.call('SET', KEYS[1], ARGV[1] .. '\n' .. ARGV[2], 'PXAT', ARGV[11])
    return {'erased-late', '0'}
  end
end
redis.call('SET', KEYS[1], ARGV[1] .. '\n' .. ARGV[2], 'PXAT', ARGV[11])
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[2], 'version', ARGV[5], 'record', ARGV[4], 'state', ARGV[10], 'acceptedAtMs', ARGV[7])
  local dirtyEnd = 3 + tonumber(ARGV[9])
  for i = 4, dirtyEnd do
    redis.call('ZADD', KEYS[i], 'NX', ARGV[7], ARGV[2])
  end
  redis.call('SADD', KEYS[dirtyEnd + 1], ARGV[2])
  for i = dirtyEnd + 2, #KEYS - 1 do
    redis.call('SET', KEYS[i], ARGV[2])
  end
end
redis.call('RPUSH', KEYS[3], ARGV[6])
redis.call('LTRIM', KEYS[3], -tonumber(ARGV[8]), -1)
return {'accepted', ARGV[4] ~= '' and ARGV[5] or current}
