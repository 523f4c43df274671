-- One page of a sweep pass, inside Redis: for each dirty card, whether it is behind on the downstream
-- (desired version ahead of the confirmed one, no operator awaited at that version) with no job in flight
-- in its lane. Nothing but small fields is read: no record is decoded, nothing is sent back but the cards
-- to enqueue, so a pass over 20,000 cards costs a few milliseconds of Redis per 1,000.
-- KEYS[1] the downstream's attention hash
-- ARGV[1] card key prefix, ARGV[2] sync key prefix (downstream included), ARGV[3] oppose-lane job key
-- prefix, ARGV[4] enable-lane job key prefix, ARGV[5] oppose-lane failed set, ARGV[6] enable-lane failed
-- set, then (card id, job id) pairs
-- Returns {oldest acceptedAtMs of a pending opposition ('' if none), scanned behind count, then (card id,
-- lane) pairs of the cards to enqueue; lane '' when the record predates the `state` field}
local oldest = nil
local behind = 0
local lost = {}
local function inFlight (prefix, failed, jobId)
  return redis.call('EXISTS', prefix .. jobId) == 1 and not redis.call('ZSCORE', failed, jobId)
end
for i = 7, #ARGV, 2 do
  local cardId, jobId = ARGV[i], ARGV[i + 1]
  local card = redis.call('HMGET', ARGV[1] .. cardId, 'version', 'state', 'acceptedAtMs')
  local version = tonumber(card[1])
  if version then
    local confirmed = tonumber(redis.call('HGET', ARGV[2] .. cardId, 'confirmedVersion') or '0')
    local waiting = false
    if confirmed < version then
      local attention = redis.call('HGET', KEYS[1], cardId)
      if attention then
        local ok, entry = pcall(cjson.decode, attention)
        waiting = ok and type(entry) == 'table' and tonumber(entry.version) == version
      end
    end
    if confirmed < version and not waiting then
      behind = behind + 1
      local state = card[2]
      if state and state ~= 'ENABLED' then
        local accepted = tonumber(card[3])
        if accepted and (oldest == nil or accepted < oldest) then oldest = accepted end
      end
      local lane = ''
      local held
      if state == 'ENABLED' then
        lane = 'enable'
        held = inFlight(ARGV[4], ARGV[6], jobId)
      elseif state then
        lane = 'oppose'
        held = inFlight(ARGV[3], ARGV[5], jobId)
      else
        held = inFlight(ARGV[3], ARGV[5], jobId) or inFlight(ARGV[4], ARGV[6], jobId)
      end
      if not held then
        table.insert(lost, cardId)
        table.insert(lost, lane)
      end
    end
  end
end
local reply = {oldest and tostring(oldest) or '', behind}
for _, value in ipairs(lost) do table.insert(reply, value) end
return reply
