-- One page of the retention pass, inside Redis: for each card, its timeline lines (the SGC's events) and
-- its activity lines (calls, faults, confirmations) older than the timeline cutoff are dropped, oldest
-- first, but only from a card every downstream has confirmed: a card with work pending keeps its whole
-- history (the operator needs it, and the events behind the pending work are what it is judged by), and
-- every card keeps the event line that set its current state. A repeated fault counts by its last time.
-- Also names the cards whose personal data is due to go (CADUC or DESTROYED, accepted at or before the
-- ended-card cutoff, confirmed everywhere); the caller erases them (erase-cards.lua checks again).
-- Work per card is bounded by the list caps; no record is decoded.
-- ARGV[1] card key prefix, ARGV[2] timeline key prefix, ARGV[3] n downstreams, then per downstream its
-- sync key prefix and activity key prefix, then the timeline cutoff (ISO time), the ended-card cutoff
-- (epoch ms), then card ids.
-- Returns {lines dropped, then the card ids due for erasure}
local n = tonumber(ARGV[3])
local syncs, activities = {}, {}
for i = 1, n do
  syncs[i] = ARGV[2 + 2 * i]
  activities[i] = ARGV[3 + 2 * i]
end
local cutoff = ARGV[4 + 2 * n]
local endedCutoff = tonumber(ARGV[5 + 2 * n])

local function older (line)
  local ok, entry = pcall(cjson.decode, line)
  if not ok or type(entry) ~= 'table' then return false end
  local at = entry.lastAt or entry.at
  return type(at) == 'string' and at < cutoff
end

local function trim (key, keep)
  local dropped = 0
  while redis.call('LLEN', key) > keep do
    local first = redis.call('LINDEX', key, 0)
    if not first or not older(first) then break end
    redis.call('LPOP', key)
    dropped = dropped + 1
  end
  return dropped
end

local dropped = 0
local due = {}
for a = 6 + 2 * n, #ARGV do
  local cardId = ARGV[a]
  local card = redis.call('HMGET', ARGV[1] .. cardId, 'version', 'state', 'acceptedAtMs')
  local version = tonumber(card[1])
  if version then
    local pending = false
    for i = 1, n do
      if (tonumber(redis.call('HGET', syncs[i] .. cardId, 'confirmedVersion') or '0')) < version then
        pending = true
        break
      end
    end
    if not pending then
      dropped = dropped + trim(ARGV[2] .. cardId, 1)
      for i = 1, n do dropped = dropped + trim(activities[i] .. cardId, 0) end
      if (card[2] == 'CADUC' or card[2] == 'DESTROYED') and (tonumber(card[3]) or 0) <= endedCutoff then
        table.insert(due, cardId)
      end
    end
  end
end
local reply = {dropped}
for _, cardId in ipairs(due) do table.insert(reply, cardId) end
return reply
