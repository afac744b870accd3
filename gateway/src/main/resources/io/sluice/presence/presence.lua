-- Sluice cluster mode: presence (CONTRACT §11) kept in Redis, one atomic step per call, so every node sees one
-- order of joins and leaves. Run by SharedPresence on each node; docs/architecture.md ("Presence") explains it.
--
-- ARGV[1] the operation, ARGV[2] the key prefix P (such as "sluice:events:presence:"), ARGV[3] the control channel,
-- then the operation's arguments (below). Keys, all under P:
--   P .. "nodes"        sorted set: live node id -> deadline (Redis clock, ms); a node past it is dropped
--   P .. "n:" .. node   set: "<topic> <user>" for every tracked topic and user the node holds a stream of
--   P .. "c:" .. node   hash: topic -> "<connections> <anonymous>", the node's streams on the topic
--   P .. "t:" .. topic  hash: user -> how many nodes hold a stream of the user on the topic
--   P .. "u:" .. topic  sorted set (all scores 0): the users of the topic, for a sorted listing
-- Topics and users are topic characters only (CONTRACT §1), so a space separates them safely.
-- Announcements on the channel: "J <topic> <user>" when a user's first stream on the topic opens anywhere,
-- "L <topic> <user>" when their last one closes (or their node is dropped).
local op = ARGV[1]
local P = ARGV[2]
local channel = ARGV[3]
local NODES = P .. 'nodes'

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- one more node holds a stream of user on topic
local function add(node, topic, user)
  if redis.call('SADD', P .. 'n:' .. node, topic .. ' ' .. user) == 1 then
    if redis.call('HINCRBY', P .. 't:' .. topic, user, 1) == 1 then
      redis.call('ZADD', P .. 'u:' .. topic, 0, user)
      redis.call('PUBLISH', channel, 'J ' .. topic .. ' ' .. user)
    end
  end
end

-- one node fewer holds a stream of user on topic
local function fewer(topic, user)
  if redis.call('HINCRBY', P .. 't:' .. topic, user, -1) <= 0 then
    redis.call('HDEL', P .. 't:' .. topic, user)
    redis.call('ZREM', P .. 'u:' .. topic, user)
    redis.call('PUBLISH', channel, 'L ' .. topic .. ' ' .. user)
  end
end

local function remove(node, topic, user)
  if redis.call('SREM', P .. 'n:' .. node, topic .. ' ' .. user) == 1 then
    fewer(topic, user)
  end
end

local function split(member)
  local space = string.find(member, ' ', 1, true)
  return string.sub(member, 1, space - 1), string.sub(member, space + 1)
end

-- every stream of node is gone: a crash (its deadline passed) or a stop
local function drop(node)
  for _, member in ipairs(redis.call('SMEMBERS', P .. 'n:' .. node)) do
    local topic, user = split(member)
    fewer(topic, user)
  end
  redis.call('DEL', P .. 'n:' .. node, P .. 'c:' .. node)
  redis.call('ZREM', NODES, node)
end

-- ARGV[from], ARGV[from + 1], ...: topic, "<connections> <anonymous>" pairs; "0 0" removes the topic
local function set_counts(node, from)
  for a = from, #ARGV, 2 do
    if ARGV[a + 1] == '0 0' then
      redis.call('HDEL', P .. 'c:' .. node, ARGV[a])
    else
      redis.call('HSET', P .. 'c:' .. node, ARGV[a], ARGV[a + 1])
    end
  end
end

if op == 'flips' then
  -- ARGV[4] node, then sign ("+" opened, "-" closed), topic, user triples, in the order they happened.
  -- A node not (or no longer) registered is told to sync first: {1}.
  local node = ARGV[4]
  if not redis.call('ZSCORE', NODES, node) then
    return {1}
  end
  for a = 5, #ARGV, 3 do
    if ARGV[a] == '+' then
      add(node, ARGV[a + 1], ARGV[a + 2])
    else
      remove(node, ARGV[a + 1], ARGV[a + 2])
    end
  end
  return {0}
elseif op == 'beat' then
  -- ARGV[4] node, ARGV[5] time to live (ms), then count pairs. Keeps the node alive and drops nodes whose deadline
  -- passed (a few per beat). A node not registered (dropped while it was away) is told to sync: {1}.
  local node = ARGV[4]
  local now = now_ms()
  if not redis.call('ZSCORE', NODES, node) then
    return {1}
  end
  redis.call('ZADD', NODES, now + tonumber(ARGV[5]), node)
  set_counts(node, 6)
  for _, dead in ipairs(redis.call('ZRANGEBYSCORE', NODES, '-inf', '(' .. now, 'LIMIT', 0, 8)) do
    drop(dead)
  end
  return {0}
elseif op == 'sync' then
  -- ARGV[4] node, ARGV[5] time to live (ms), ARGV[6] member count m, then m topic, user pairs: everything the node
  -- holds now; then count pairs for every topic it has streams on. Makes Redis agree, announcing only differences.
  local node = ARGV[4]
  redis.call('ZADD', NODES, now_ms() + tonumber(ARGV[5]), node)
  local m = tonumber(ARGV[6])
  local wanted = {}
  for a = 7, 6 + 2 * m, 2 do
    wanted[ARGV[a] .. ' ' .. ARGV[a + 1]] = true
  end
  for _, member in ipairs(redis.call('SMEMBERS', P .. 'n:' .. node)) do
    if not wanted[member] then
      local topic, user = split(member)
      remove(node, topic, user)
    end
  end
  for a = 7, 6 + 2 * m, 2 do
    add(node, ARGV[a], ARGV[a + 1])
  end
  redis.call('DEL', P .. 'c:' .. node)
  set_counts(node, 7 + 2 * m)
  return {0}
elseif op == 'drop' then
  -- ARGV[4] node: it stops; its users leave now rather than when its deadline passes.
  drop(ARGV[4])
  return {0}
elseif op == 'query' then
  -- ARGV[4] topic, ARGV[5] most users. {connections, anonymous, users...} over the live nodes.
  local topic = ARGV[4]
  local connections = 0
  local anonymous = 0
  for _, node in ipairs(redis.call('ZRANGEBYSCORE', NODES, now_ms(), '+inf')) do
    local counts = redis.call('HGET', P .. 'c:' .. node, topic)
    if counts then
      local space = string.find(counts, ' ', 1, true)
      connections = connections + tonumber(string.sub(counts, 1, space - 1))
      anonymous = anonymous + tonumber(string.sub(counts, space + 1))
    end
  end
  local reply = {connections, anonymous}
  for _, user in ipairs(redis.call('ZRANGEBYLEX', P .. 'u:' .. topic, '-', '+', 'LIMIT', 0, tonumber(ARGV[5]))) do
    reply[#reply + 1] = user
  end
  return reply
end
return redis.error_reply('presence.lua: unknown operation ' .. tostring(op))
