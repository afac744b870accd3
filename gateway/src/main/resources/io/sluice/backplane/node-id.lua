-- Sluice cluster mode: hand a starting node its id, used in every connection id it issues.
-- KEYS[1] the last id handed out.
-- The id is above every id handed out before (INCR) and at least Redis's clock in milliseconds, so it does not repeat
-- even if Redis lost the counter (a restart without persistence): it would take more node starts than milliseconds
-- since 1970, or a Redis clock set back, to reach an id used before.
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local id = redis.call('INCR', KEYS[1])
if id < ms then
  id = ms
  redis.call('SET', KEYS[1], string.format('%.0f', id))
end
return {id}
