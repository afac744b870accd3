-- Sluice cluster mode: append one publish batch to the event stream, all or nothing (a script runs atomically).
-- KEYS[1] the stream, KEYS[2] its event counter.
-- ARGV[1] MAXLEN to trim to (0: none), ARGV[2] maximum age in milliseconds (0: none),
-- ARGV[3], ARGV[4] the caller's floor id (ms, seq): every new id must be above it,
-- then topic, type, data (compact JSON), key and connection of each event; the key empty for none, the connection
-- empty unless the event is for one stream only (CONTRACT §11; then the topic is ignored).
-- Each entry gets fields t (topic) or c (connection), y (type), d (data), k (key; only when the event has one) and
-- n (the counter after it: 1, 2, 3, ... for the life of the stream), by which readers tell a gap (entries trimmed
-- before they read them) from a restarted stream.
-- Returns the entry ids, in batch order.
local stream = KEYS[1]
local max_len = tonumber(ARGV[1])
local max_age = tonumber(ARGV[2])
local floor_ms = tonumber(ARGV[3])
local floor_seq = tonumber(ARGV[4])
-- Sluice packs ids as ms << 20 | seq: seq must stay below 2^20.
local SEQ_LIMIT = 1048576
local PER_EVENT = 5
local events = (#ARGV - 4) / PER_EVENT
local count = redis.call('INCRBY', KEYS[2], events) - events
local ids = {}
for i = 0, events - 1 do
  local a = 5 + i * PER_EVENT
  count = count + 1
  local fields
  if ARGV[a + 4] == '' then
    fields = {'t', ARGV[a], 'y', ARGV[a + 1], 'd', ARGV[a + 2]}
  else
    fields = {'c', ARGV[a + 4], 'y', ARGV[a + 1], 'd', ARGV[a + 2]}
  end
  if ARGV[a + 3] ~= '' then
    fields[#fields + 1] = 'k'
    fields[#fields + 1] = ARGV[a + 3]
  end
  fields[#fields + 1] = 'n'
  fields[#fields + 1] = string.format('%.0f', count)
  local id = redis.call('XADD', stream, '*', unpack(fields))
  local dash = string.find(id, '-', 1, true)
  local ms = tonumber(string.sub(id, 1, dash - 1))
  local seq = tonumber(string.sub(id, dash + 1))
  local below_floor = ms < floor_ms or (ms == floor_ms and seq <= floor_seq)
  if below_floor or seq >= SEQ_LIMIT then
    -- Rare: a stream recreated under a clock behind the ids already handed out, or a million entries in one
    -- millisecond. Replace the entry by one with the next usable id (above the one just removed, so Redis
    -- accepts it); nobody saw the removed one, as the script is atomic.
    redis.call('XDEL', stream, id)
    if below_floor then
      ms = floor_ms
      seq = floor_seq + 1
    else
      ms = ms + 1
      seq = 0
    end
    if seq >= SEQ_LIMIT then
      ms = ms + 1
      seq = 0
    end
    id = redis.call('XADD', stream, string.format('%.0f-%.0f', ms, seq), unpack(fields))
  end
  ids[#ids + 1] = id
end
if max_len > 0 then
  redis.call('XTRIM', stream, 'MAXLEN', '~', max_len)
end
if max_age > 0 then
  local now = redis.call('TIME')
  local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  redis.call('XTRIM', stream, 'MINID', '~', string.format('%.0f', now_ms - max_age))
end
return ids
