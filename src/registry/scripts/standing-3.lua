-- Where one downstream stands with one card, read in one command (a MULTI of three reads costs the
-- client five): the card's record, the downstream's sync hash, the card's attention entry.
-- KEYS[1] card hash, KEYS[2] sync hash, KEYS[3] attention hash of the downstream; ARGV[1] card id
-- Returns {record JSON or false, flat sync hash, attention JSON or false}
return {redis.call('HGET', KEYS[1], 'record'), redis.call('HGETALL', KEYS[2]), redis.call('HGET', KEYS[3], ARGV[1])}
