import type { Cluster, Redis } from 'ioredis';

/** The two keys of one ordering key's line in one queue. */
export interface LineKeys {
  /** List of job ids in accepted order; the first holds the key's turn. */
  line: string;
  /** Hash job id → when it joined the line (ms): membership without scanning the list. */
  ids: string;
  /** Key of the tombstone of a job id given up as stale (see `drop`). */
  gone(id: string): string;
}

/**
 * Where an ordering key's line lives, given the queue's BullMQ key maker (`queue.toKey`).
 * Inside the queue's own key space, so the line shares the queue's hash slot whatever the
 * layout (one slot per deployment, or one per queue on a cluster): the enlist script reads
 * the BullMQ job key next to the line. `%o` cannot start a job id of this box (encodeJobId
 * only writes `%25`, `%3A` and `%i`), so no line key meets a job's key.
 */
export function lineKeys(queueKey: (type: string) => string, orderingKey: string): LineKeys {
  const base = queueKey(`%o:${orderingKey}`);
  // Job ids hold no ':' (encodeJobId), so `…:gone:<id>` never meets another key's `…:line` or `…:ids`.
  return { line: `${base}:line`, ids: `${base}:ids`, gone: (id) => `${base}:gone:${id}` };
}

/** What `enlist` found: a duplicate of a job BullMQ holds, the key's turn, or a place behind it. */
export type Enlisted = 'duplicate' | 'head' | 'behind';

/** What `turn` found for a job that a worker took. */
export type Turn =
  /** The job is not in its line: it finished already (a redelivery after a crash); do not run it. */
  | { kind: 'done' }
  | { kind: 'run' }
  /** Another job holds the turn; `next`: this job is the one after it (it watches the head). */
  | { kind: 'wait'; head: string; headSince: number; next: boolean };

// A job id joins its line once; one BullMQ already holds (a job finished within the dedupe
// window) is a duplicate publish and joins nothing. A retried publish finds its id in the line.
const ENLIST = `
local id = ARGV[1]
if redis.call('HEXISTS', KEYS[2], id) == 0 then
  if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
  redis.call('RPUSH', KEYS[1], id)
  redis.call('HSET', KEYS[2], id, ARGV[2])
end
if redis.call('LINDEX', KEYS[1], 0) == id then return 1 end
return 2`;

// A job not in its line left it: it ended (a redelivery after a crash), unless it was given
// up as stale before it was even added; then its tombstone says so and it joins the line.
const TURN = `
local id = ARGV[1]
if redis.call('HEXISTS', KEYS[2], id) == 0 then
  if redis.call('DEL', KEYS[3]) == 0 then return {0} end
  redis.call('RPUSH', KEYS[1], id)
  redis.call('HSET', KEYS[2], id, ARGV[2])
end
local head = redis.call('LINDEX', KEYS[1], 0)
if head == id then return {1} end
local next = 0
if redis.call('LINDEX', KEYS[1], 1) == id then next = 1 end
return {2, head, redis.call('HGET', KEYS[2], head) or '0', next}`;

// Only the head leaves, and only once: a second release (a redelivery, the watchdog) is a no-op.
// The last job out deletes both keys, so an idle key costs nothing.
const RELEASE = `
if redis.call('LINDEX', KEYS[1], 0) ~= ARGV[1] then return false end
redis.call('LPOP', KEYS[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('LINDEX', KEYS[1], 0)`;

// RELEASE for a head BullMQ does not know, leaving a tombstone in case the job shows up late.
const DROP = `
if redis.call('LINDEX', KEYS[1], 0) ~= ARGV[1] then return false end
redis.call('LPOP', KEYS[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[2])
return redis.call('LINDEX', KEYS[1], 0)`;

/** How long a tombstone lasts: far beyond any publish that is still under way. */
const TOMBSTONE_MS = 24 * 3600 * 1000;

type Client = Redis | Cluster;
type Scripts = {
  itineraOrderEnlist(line: string, ids: string, jobKey: string, id: string, now: number): Promise<number>;
  itineraOrderTurn(line: string, ids: string, gone: string, id: string, now: number): Promise<[number, string?, string?, number?]>;
  itineraOrderRelease(line: string, ids: string, id: string): Promise<string | null>;
  itineraOrderDrop(line: string, ids: string, gone: string, id: string, ttlMs: number): Promise<string | null>;
};

const defined = new WeakSet<object>();

/**
 * The per-key sequencer in Redis: each ordering key of a queue has a line of job ids in
 * accepted order, and only its first job may run. Each operation is one Lua script, so
 * concurrent publishers and workers see one order. See README, "Ordering and concurrency".
 */
export class SessionSequencer {
  private readonly scripts: Scripts;

  constructor(private readonly redis: Client) {
    if (!defined.has(redis)) {
      redis.defineCommand('itineraOrderEnlist', { numberOfKeys: 3, lua: ENLIST });
      redis.defineCommand('itineraOrderTurn', { numberOfKeys: 3, lua: TURN });
      redis.defineCommand('itineraOrderRelease', { numberOfKeys: 2, lua: RELEASE });
      redis.defineCommand('itineraOrderDrop', { numberOfKeys: 3, lua: DROP });
      defined.add(redis);
    }
    this.scripts = redis as unknown as Scripts;
  }

  /** Join the line (publish). `jobKey`: the BullMQ key of the job, to tell a duplicate publish. */
  async enlist(keys: LineKeys, jobKey: string, id: string): Promise<Enlisted> {
    const r = await this.scripts.itineraOrderEnlist(keys.line, keys.ids, jobKey, id, Date.now());
    return r === 0 ? 'duplicate' : r === 1 ? 'head' : 'behind';
  }

  async turn(keys: LineKeys, id: string): Promise<Turn> {
    const [kind, head, since, next] = await this.scripts.itineraOrderTurn(keys.line, keys.ids, keys.gone(id), id, Date.now());
    if (kind === 0) return { kind: 'done' };
    if (kind === 1) return { kind: 'run' };
    return { kind: 'wait', head: head!, headSince: Number(since), next: next === 1 };
  }

  /** Leave the line if `id` holds the turn; resolves with the job whose turn it is now. */
  async release(keys: LineKeys, id: string): Promise<string | undefined> {
    return (await this.scripts.itineraOrderRelease(keys.line, keys.ids, id)) ?? undefined;
  }

  /** `release` for a head given up as stale: if its job shows up after all, it joins the line again. */
  async drop(keys: LineKeys, id: string): Promise<string | undefined> {
    return (await this.scripts.itineraOrderDrop(keys.line, keys.ids, keys.gone(id), id, TOMBSTONE_MS)) ?? undefined;
  }

  async isHead(keys: LineKeys, id: string): Promise<boolean> {
    return (await this.redis.lindex(keys.line, 0)) === id;
  }
}
