-- Erases the personal data of cards, all of them or none: the card records, their timelines and
-- activity, their sync records, their identifier indexes, their places in the dirty sets and attention
-- lists, the holder's set of card ids and leases (keys named by the keyed hash of the eppn), and any key
-- a façade keeps for the holder. A non-personal tombstone per card keeps the counters (state, versions,
-- what each downstream confirmed, how many events and activity lines there were) and when the state
-- was reached, so that the card's history can still be counted and a late event recognised.
-- Everything is checked again here, atomically, before anything is removed: the caller read the cards
-- and decided, but a new event or a running job may have come in between.
--
-- KEYS[1] the holder's card set, KEYS[2 .. 1+n] the holder's lease per downstream, then per card
-- (3 + 5n + its index keys): card hash, timeline, tombstone, then per downstream activity list, sync
-- hash, card lease, dirty set, attention hash; then its index keys; then the extra keys.
-- ARGV[1] mode: 'retention' (the card must be CADUC or DESTROYED, accepted at or before ARGV[3]) or
-- 'request' (a holder's erasure: no card may be ENABLED or still active downstream), ARGV[2] now (ms),
-- ARGV[3] cutoff (ms), ARGV[4] n downstreams, ARGV[5 .. 4+n] their names, ARGV[5+n] card count, then per
-- card: card id, version the caller read, occurredAtMs of its state, index key count; then the extra
-- key count.
-- Returns {'erased', cards} or {refusal, card id, downstream or ''}: 'changed' (the card moved on since
-- it was read), 'pending' (a downstream is behind), 'busy' (a worker holds a lease), 'active', 'kept'.
local mode, now, cutoff = ARGV[1], ARGV[2], tonumber(ARGV[3])
local n = tonumber(ARGV[4])
local downstreams = {}
for i = 1, n do downstreams[i] = ARGV[4 + i] end
local cardCount = tonumber(ARGV[5 + n])
local perCard = 3 + 5 * n
local cards = {}
local a = 6 + n
local k = 2 + n
for c = 1, cardCount do
  local card = { id = ARGV[a], version = ARGV[a + 1], occurredAtMs = ARGV[a + 2], indexes = tonumber(ARGV[a + 3]), base = k }
  a = a + 4
  k = k + perCard + card.indexes
  cards[c] = card
end
local extraCount = tonumber(ARGV[a])
local extraBase = k

for i = 1, n do
  if redis.call('EXISTS', KEYS[1 + i]) == 1 then return {'busy', '', downstreams[i]} end
end
for _, card in ipairs(cards) do
  local b = card.base
  local held = redis.call('HMGET', KEYS[b], 'version', 'state', 'acceptedAtMs')
  if held[1] ~= card.version then return {'changed', card.id, ''} end
  local state = held[2]
  if mode == 'retention' then
    if (state ~= 'CADUC' and state ~= 'DESTROYED') or (tonumber(held[3]) or 0) > cutoff then return {'kept', card.id, ''} end
  elseif state == 'ENABLED' then
    return {'active', card.id, ''}
  end
  local version = tonumber(card.version)
  for i = 1, n do
    local d = b + 3 + 5 * (i - 1)
    local sync = redis.call('HMGET', KEYS[d + 1], 'confirmedVersion', 'remoteState')
    if (tonumber(sync[1]) or 0) < version then return {'pending', card.id, downstreams[i]} end
    if mode == 'request' and sync[2] == 'active' then return {'active', card.id, downstreams[i]} end
    if redis.call('EXISTS', KEYS[d + 2]) == 1 then return {'busy', card.id, downstreams[i]} end
  end
end

for _, card in ipairs(cards) do
  local b = card.base
  local held = redis.call('HMGET', KEYS[b], 'version', 'state', 'acceptedAtMs')
  local tombstone = { 'state', held[2], 'version', held[1], 'acceptedAtMs', held[3] or '', 'occurredAtMs', card.occurredAtMs,
    'erasedAtMs', now, 'erasedFor', mode, 'events', redis.call('LLEN', KEYS[b + 1]) }
  for i = 1, n do
    local d = b + 3 + 5 * (i - 1)
    local sync = redis.call('HMGET', KEYS[d + 1], 'confirmedVersion', 'remoteState', 'outcome', 'updatedAtMs')
    local ds = downstreams[i]
    for _, field in ipairs({ {'confirmedVersion', sync[1]}, {'remoteState', sync[2]}, {'outcome', sync[3]}, {'updatedAtMs', sync[4]} }) do
      table.insert(tombstone, ds .. '.' .. field[1])
      table.insert(tombstone, field[2] or '')
    end
    table.insert(tombstone, ds .. '.activity')
    table.insert(tombstone, redis.call('LLEN', KEYS[d]))
    redis.call('DEL', KEYS[d], KEYS[d + 1])
    redis.call('ZREM', KEYS[d + 3], card.id)
    redis.call('HDEL', KEYS[d + 4], card.id)
  end
  redis.call('DEL', KEYS[b], KEYS[b + 1], KEYS[b + 2])
  redis.call('HSET', KEYS[b + 2], unpack(tombstone))
  -- An index may point at another card by now (a CSN re-encoded): only this card's entries go.
  for x = 1, card.indexes do
    local key = KEYS[b + perCard - 1 + x]
    if redis.call('GET', key) == card.id then redis.call('DEL', key) end
  end
  redis.call('SREM', KEYS[1], card.id)
end
if mode == 'request' then redis.call('DEL', KEYS[1]) end
for x = 1, extraCount do redis.call('DEL', KEYS[extraBase - 1 + x]) end
return {'erased', cardCount}
