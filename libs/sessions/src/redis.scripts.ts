/**
 * Lua scripts of the Redis session store. Each runs atomically in one round trip and
 * touches the keys of ONE session only (plus, on a single Redis, the index or a group
 * passed as an optional last key): on a Redis Cluster every key a script names shares
 * the session's hash tag, so no script ever spans slots. Work across sessions (ending
 * one, expiring many, reading a group) is done by the store, one session at a time.
 *
 * Keys (see redis.session-keys.ts for the names):
 *   session  hash   tokenHash, createdAt, lastSeen, lastSeq, ackedSeq, principal (JSON)
 *   outbox   zset   score seq, member the frame's JSON
 *   state    string JSON object
 *   joined   set    groups the session is in
 *   dedupe   zset   score seq, member a push's dedupe key
 *   group    set    session ids (its own tag on a cluster)
 *   index    zset   score lastSeen, member id (what expireIdle scans; bucketed on a cluster)
 * The session's wake channel gets a PUBLISH after each push and when the session ends.
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

export interface ScriptDef {
  /** Absent: the caller passes the number of keys first (scripts with an optional key). */
  numberOfKeys?: number;
  lua: string;
}

export const SCRIPTS = {
  /**
   * KEYS: session, outbox, dedupe. ARGV: wake channel, frame JSON starting with `{"seq":0` (replaced by the seq),
   * limit (-1 = none), overflow, now, ttl, dedupe key ('' = none), dedupe window. Returns {seq, dropped,
   * firstDropped, lastDropped} | {-1} not found | {-2, pending} full. A known dedupe key returns its earlier
   * seq and appends nothing.
   */
  sessPush: {
    numberOfKeys: 3,
    lua: `${ALIVE}
local channel, draft, limit, overflow = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local now, ttl = tonumber(ARGV[5]), tonumber(ARGV[6])
if not alive(KEYS[1], now, ttl) then return {-1} end
local dkey, dwin = ARGV[7], tonumber(ARGV[8])
local dset = KEYS[3]
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
redis.call('PUBLISH', channel, frame)
return {seq, dropped, first, last}
`,
  },

  /**
   * KEYS: session, outbox, state, joined[, index]. ARGV: id, now, ttl, keyTtl.
   * Records activity; returns the session's fields or {} when it is gone or expired.
   * Without the index key (cluster) the store updates the index itself.
   */
  sessTouch: {
    lua: `${ALIVE}
local id, now, ttl, keyTtl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
if not alive(KEYS[1], now, ttl) then return {} end
-- Written from ARGV as given: Lua would print large numbers with only 14 digits.
redis.call('HSET', KEYS[1], 'lastSeen', ARGV[2])
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], keyTtl) end
if KEYS[5] then redis.call('ZADD', KEYS[5], ARGV[2], id) end
return redis.call('HMGET', KEYS[1], 'createdAt', 'lastSeen', 'lastSeq', 'ackedSeq', 'principal')
`,
  },

  /**
   * KEYS: session, outbox, state, joined[, index]. ARGV: id, now, ttl, keyTtl, token digest (hex).
   * Authenticate and record activity in one round trip: {'gone'} when the session is gone
   * or expired, {'denied'} when the digest differs, else {'ok', createdAt, lastSeen,
   * lastSeq, ackedSeq}. Digests, not tokens, are compared: an early mismatch tells a
   * caller nothing usable about the token (finding one would need a SHA-256 preimage).
   */
  sessAuth: {
    lua: `${ALIVE}
local id, now, ttl, keyTtl, digest = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5]
if not alive(KEYS[1], now, ttl) then return {'gone'} end
if redis.call('HGET', KEYS[1], 'tokenHash') ~= digest then return {'denied'} end
redis.call('HSET', KEYS[1], 'lastSeen', ARGV[2])
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], keyTtl) end
if KEYS[5] then redis.call('ZADD', KEYS[5], ARGV[2], id) end
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

  /**
   * KEYS: session, joined[, group]. ARGV: group name, id, now, ttl. Returns 1 or -1. Without the
   * group key (cluster) the store adds the member itself, after this succeeded.
   */
  sessJoin: {
    lua: `${ALIVE}
if not alive(KEYS[1], tonumber(ARGV[3]), tonumber(ARGV[4])) then return -1 end
if KEYS[3] then redis.call('SADD', KEYS[3], ARGV[2]) end
redis.call('SADD', KEYS[2], ARGV[1])
follow(KEYS[2], KEYS[1])
return 1
`,
  },

  /**
   * KEYS: session, outbox, state, joined, dedupe. ARGV: wake channel, now, ttl, force ('1': end, '0': only
   * if idle). Removes the session and answers {1, #groups, group…, frame…} with the groups it was in
   * (the store leaves them) and its pending frames; {0, lastSeen} when it is alive and not forced;
   * {2} when there was no session. Atomic per session, so one caller gets the frames.
   */
  sessDrop: {
    numberOfKeys: 5,
    lua: `
local now, ttl, force = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == '1'
local ls = redis.call('HGET', KEYS[1], 'lastSeen')
if ls and not force and now - tonumber(ls) < ttl then return {0, ls} end
local groups = redis.call('SMEMBERS', KEYS[4])
local frames = redis.call('ZRANGE', KEYS[2], 0, -1)
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
redis.call('PUBLISH', ARGV[1], 'end')
local out = {ls and 1 or 2, #groups}
for _, g in ipairs(groups) do table.insert(out, g) end
for _, f in ipairs(frames) do table.insert(out, f) end
return out
`,
  },
} satisfies Record<string, ScriptDef>;

export type ScriptName = keyof typeof SCRIPTS;
