/**
 * Lua scripts of the Redis session store. Each runs atomically in one round trip.
 * Every key lives under the same hash tag (the prefix), so the keys a script
 * derives from the namespace (`ARGV[1]`) sit in the same Cluster slot as the ones
 * it declares.
 *
 * Keys under the namespace NS (`<prefix>:duplex`):
 *   NS:session:<id>  hash   tokenHash, createdAt, lastSeen, lastSeq, ackedSeq, principal (JSON)
 *   NS:outbox:<id>   zset   score seq, member the frame's JSON
 *   NS:state:<id>    string JSON object
 *   NS:joined:<id>   set    groups the session is in
 *   NS:group:<name>  set    session ids
 *   NS:sessions      zset   score lastSeen, member id (what expireIdle scans)
 * Channel NS:wake:<id> gets a PUBLISH after each push and when the session ends.
 */

// Shared prelude: is the session alive at `now` (exists and not idle past the TTL)?
const ALIVE = `
local function alive(key, now, ttl)
  local ls = redis.call('HGET', key, 'lastSeen')
  if not ls then return false end
  return (now - tonumber(ls)) < ttl
end
local function follow(key, sessionKey)
  local pttl = redis.call('PTTL', sessionKey)
  if pttl > 0 then redis.call('PEXPIRE', key, pttl) end
end
`;

// Remove a session and everything it owns; wake its listeners.
const DROP = `
local function drop(ns, id)
  local joined = ns .. ':joined:' .. id
  for _, g in ipairs(redis.call('SMEMBERS', joined)) do
    redis.call('SREM', ns .. ':group:' .. g, id)
  end
  redis.call('DEL', ns .. ':session:' .. id, ns .. ':outbox:' .. id, ns .. ':state:' .. id, joined, ns .. ':dedupe:' .. id)
  redis.call('ZREM', ns .. ':sessions', id)
  redis.call('PUBLISH', ns .. ':wake:' .. id, 'end')
end
`;

export interface ScriptDef {
  numberOfKeys: number;
  lua: string;
}

export const SCRIPTS = {
  /**
   * KEYS: session, outbox. ARGV: ns, id, frame JSON starting with `{"seq":0` (replaced by the seq), limit (-1 = none),
   * overflow, now, ttl, dedupe key ('' = none), dedupe window. Returns {seq, dropped, firstDropped, lastDropped}
   * | {-1} not found | {-2, pending} full. A known dedupe key returns its earlier seq and appends nothing.
   */
  sessPush: {
    numberOfKeys: 2,
    lua: `${ALIVE}
local ns, id, draft, limit, overflow = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local now, ttl = tonumber(ARGV[6]), tonumber(ARGV[7])
if not alive(KEYS[1], now, ttl) then return {-1} end
local dkey, dwin = ARGV[8], tonumber(ARGV[9])
local dset = ns .. ':dedupe:' .. id
if dkey ~= '' then
  local earlier = redis.call('ZSCORE', dset, dkey)
  if earlier then return {tonumber(earlier), 0, 0, 0} end
end
local dropped, first, last = 0, 0, 0
if limit >= 0 then
  local n = redis.call('ZCARD', KEYS[2])
  if n >= limit then
    if overflow ~= 'drop-oldest' then return {-2, n} end
    local gone = redis.call('ZPOPMIN', KEYS[2], n - limit + 1)
    dropped = #gone / 2
    first, last = tonumber(gone[2]), tonumber(gone[#gone])
  end
end
local seq = redis.call('HINCRBY', KEYS[1], 'lastSeq', 1)
local frame = '{"seq":' .. seq .. string.sub(draft, 9)
redis.call('ZADD', KEYS[2], seq, frame)
follow(KEYS[2], KEYS[1])
if dkey ~= '' then
  redis.call('ZADD', dset, seq, dkey)
  redis.call('ZREMRANGEBYRANK', dset, 0, -dwin - 1)
  follow(dset, KEYS[1])
end
-- The wake-up carries the frame: the node holding the session can send it without reading the outbox.
redis.call('PUBLISH', ns .. ':wake:' .. id, frame)
return {seq, dropped, first, last}
`,
  },

  /**
   * KEYS: session, outbox, state, joined, sessions index. ARGV: id, now, ttl, keyTtl.
   * Records activity; returns the session's fields or {} when it is gone or expired.
   */
  sessTouch: {
    numberOfKeys: 5,
    lua: `${ALIVE}
local id, now, ttl, keyTtl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
if not alive(KEYS[1], now, ttl) then return {} end
-- Written from ARGV as given: Lua would print large numbers with only 14 digits.
redis.call('HSET', KEYS[1], 'lastSeen', ARGV[2])
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], keyTtl) end
redis.call('ZADD', KEYS[5], ARGV[2], id)
return redis.call('HMGET', KEYS[1], 'createdAt', 'lastSeen', 'lastSeq', 'ackedSeq', 'principal')
`,
  },

  /**
   * KEYS: session, outbox, state, joined, index. ARGV: id, now, ttl, keyTtl, token digest (hex).
   * Authenticate and record activity in one round trip: {'gone'} when the session is gone
   * or expired, {'denied'} when the digest differs, else {'ok', createdAt, lastSeen,
   * lastSeq, ackedSeq}. Digests, not tokens, are compared: an early mismatch tells a
   * caller nothing usable about the token (finding one would need a SHA-256 preimage).
   */
  sessAuth: {
    numberOfKeys: 5,
    lua: `${ALIVE}
local id, now, ttl, keyTtl, digest = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5]
if not alive(KEYS[1], now, ttl) then return {'gone'} end
if redis.call('HGET', KEYS[1], 'tokenHash') ~= digest then return {'denied'} end
redis.call('HSET', KEYS[1], 'lastSeen', ARGV[2])
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], keyTtl) end
redis.call('ZADD', KEYS[5], ARGV[2], id)
local f = redis.call('HMGET', KEYS[1], 'createdAt', 'lastSeen', 'lastSeq', 'ackedSeq', 'principal')
return {'ok', f[1], f[2], f[3], f[4], f[5]}
`,
  },

  /** KEYS: session, outbox. ARGV: seq, now, ttl. Returns 1, or -1 when the session is gone. */
  sessAck: {
    numberOfKeys: 2,
    lua: `${ALIVE}
local seq, now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if not alive(KEYS[1], now, ttl) then return -1 end
local f = redis.call('HMGET', KEYS[1], 'lastSeq', 'ackedSeq')
local upTo = math.min(math.floor(seq), tonumber(f[1]))
if upTo > tonumber(f[2]) then
  redis.call('HSET', KEYS[1], 'ackedSeq', upTo)
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', upTo)
end
return 1
`,
  },

  /** KEYS: session, outbox. ARGV: after, max (-1 = all), now, ttl. Returns {1, frames...} or {-1}. */
  sessPending: {
    numberOfKeys: 2,
    lua: `${ALIVE}
local after, max, now, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if not alive(KEYS[1], now, ttl) then return {-1} end
local frames
if max >= 0 then
  frames = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. after, '+inf', 'LIMIT', 0, max)
else
  frames = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. after, '+inf')
end
table.insert(frames, 1, 1)
return frames
`,
  },

  /** KEYS: session, state. ARGV: now, ttl. Returns {1, json|false} or {-1}. */
  sessGetState: {
    numberOfKeys: 2,
    lua: `${ALIVE}
if not alive(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])) then return {-1} end
return {1, redis.call('GET', KEYS[2])}
`,
  },

  /** KEYS: session, state. ARGV: json, now, ttl. Returns 1 or -1. */
  sessSetState: {
    numberOfKeys: 2,
    lua: `${ALIVE}
if not alive(KEYS[1], tonumber(ARGV[2]), tonumber(ARGV[3])) then return -1 end
redis.call('SET', KEYS[2], ARGV[1])
follow(KEYS[2], KEYS[1])
return 1
`,
  },

  /** KEYS: session, joined, group. ARGV: group name, id, now, ttl. Returns 1 or -1. */
  sessJoin: {
    numberOfKeys: 3,
    lua: `${ALIVE}
if not alive(KEYS[1], tonumber(ARGV[3]), tonumber(ARGV[4])) then return -1 end
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
follow(KEYS[2], KEYS[1])
return 1
`,
  },

  /**
   * KEYS: group. ARGV: ns, now, ttl. Live members; ids whose session Redis already
   * dropped (key TTL) are pruned, idle ones are left for expireIdle.
   */
  sessMembers: {
    numberOfKeys: 1,
    lua: `
local ns, now, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local ls = redis.call('HGET', ns .. ':session:' .. id, 'lastSeen')
  if not ls then
    redis.call('SREM', KEYS[1], id)
  elseif now - tonumber(ls) < ttl then
    table.insert(out, id)
  end
end
return out
`,
  },

  /** KEYS: sessions index. ARGV: ns, id. */
  sessEnd: {
    numberOfKeys: 1,
    lua: `${DROP}
drop(ARGV[1], ARGV[2])
return 1
`,
  },

  /**
   * KEYS: sessions index. ARGV: ns, now, ttl, cutoff (now - ttl), batch. Atomically removes
   * idle sessions among up to `batch` candidates; returns {scanned, id, n, frame1..frameN, id, n, ...}
   * so exactly one caller (one node) gets each expired session's pending frames.
   */
  sessExpire: {
    numberOfKeys: 1,
    lua: `${DROP}
local ns, now, ttl, batch = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[5])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[4], 'LIMIT', 0, batch)
local out = {#ids}
for _, id in ipairs(ids) do
  local ls = redis.call('HGET', ns .. ':session:' .. id, 'lastSeen')
  if ls and now - tonumber(ls) < ttl then
    -- The index lagged behind the session: fix it, keep the session.
    redis.call('ZADD', KEYS[1], ls, id)
  else
    local frames = redis.call('ZRANGE', ns .. ':outbox:' .. id, 0, -1)
    table.insert(out, id)
    table.insert(out, #frames)
    for _, f in ipairs(frames) do table.insert(out, f) end
    drop(ns, id)
  end
end
return out
`,
  },
} satisfies Record<string, ScriptDef>;

export type ScriptName = keyof typeof SCRIPTS;
