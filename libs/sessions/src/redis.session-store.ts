import { deepestOf } from './outbox-depth';
import {
  DEDUPE_WINDOW,
  RedisKeyspace,
  isClusterEndpoint,
  newId,
  newToken,
  silentLogger,
  type Logger,
  type OutboxDraft,
  type OutboxFrame,
  type OutboxStats,
  type Principal,
  type PushOptions,
  type RedisClient,
  type RedisEndpoint,
  type SessionInfo,
  type SessionStore,
} from '@itinera/core';
import { closeConnection, connect, failFastOptions, ready, unavailable } from './redis.connection';
import { SCRIPTS, type ScriptName } from './redis.scripts';
import { SessionKeys } from './redis.session-keys';
import { RedisWakeHub } from './redis.wake-hub';
import { DEFAULT_SESSION_TTL_MS, checkState, isUsableId, normalizeLimit, outboxFull, sessionNotFound, unauthorized } from './session-errors';
import { hashToken } from './session-token';

export interface RedisSessionStoreOptions {
  /** `redis://…` URL, ioredis options (they override the fail-fast defaults), or a Redis Cluster's seed nodes. */
  redis: RedisEndpoint;
  /** Key prefix, default `{itinera}`; on a cluster each session gets its own hash tag (see SessionKeys). */
  prefix?: string;
  /** Inactivity timeout (ms). Default 600000. */
  ttlMs?: number;
  /**
   * Redis key TTL (ms), refreshed on activity: how long abandoned keys live when no
   * process runs `expireIdle`. Longer than `ttlMs` so `expireIdle` normally collects
   * pending frames first. Default max(2 × ttlMs, ttlMs + 60000).
   */
  keyTtlMs?: number;
  /** How long an operation waits for Redis before failing with TRANSPORT_UNAVAILABLE (ms). Default 1000. */
  timeoutMs?: number;
  /** Clock (ms), injectable for tests. Nodes sharing a Redis need synchronised clocks. */
  now?: () => number;
  logger?: Logger;
}

type ScriptFn = (...args: (string | number)[]) => Promise<unknown>;

const EXPIRE_BATCH = 100;

/**
 * Sessions in Redis: any process with the store can resume any session and read
 * its outbox. See redis.scripts.ts for the key layout.
 */
export class RedisSessionStore implements SessionStore {
  readonly kind = 'redis';
  readonly ttlMs: number;
  readonly prefix: string;
  private readonly k: SessionKeys;
  private readonly keyTtlMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly client: RedisClient;
  private hub?: RedisWakeHub;
  private subscriber?: RedisClient;
  private closed = false;

  constructor(private readonly opts: RedisSessionStoreOptions) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_SESSION_TTL_MS;
    this.prefix = opts.prefix ?? '{itinera}';
    this.k = new SessionKeys(new RedisKeyspace(this.prefix, isClusterEndpoint(opts.redis)));
    this.keyTtlMs = Math.ceil(opts.keyTtlMs ?? Math.max(2 * this.ttlMs, this.ttlMs + 60_000));
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.now = opts.now ?? Date.now;
    this.logger = (opts.logger ?? silentLogger).child({ component: 'redis-session-store' });
    if (!this.k.spread && !/\{[^}]+\}/.test(this.prefix)) {
      this.logger.warn({ prefix: this.prefix }, 'session key prefix has no {hash tag}: Redis Cluster will refuse the session scripts');
    }
    this.client = connect({ redis: opts.redis, timeoutMs: this.timeoutMs, logger: this.logger, name: 'itinera-sessions' }, failFastOptions(this.timeoutMs));
    for (const [name, def] of Object.entries(SCRIPTS)) this.client.defineCommand(name, def);
  }

  async create(opts: { principal?: Principal } = {}): Promise<{ id: string; token: string }> {
    const id = newId();
    const token = newToken();
    const at = String(this.now());
    const k = this.k.of(id);
    const index = this.k.index(id);
    await this.run((r) =>
      Promise.all([
        r
          .multi()
          .hset(k.session, {
          tokenHash: hashToken(token).toString('hex'),
          createdAt: at,
          lastSeen: at,
          lastSeq: 0,
          ackedSeq: 0,
          ...(opts.principal ? { principal: JSON.stringify(opts.principal) } : {}),
          })
          .pexpire(k.session, this.keyTtlMs)
          .exec()
          .then(checkReplies),
        // The index has its own slot on a cluster: a separate write (a lost one only delays expiry to the key TTL).
        r.zadd(index, at, id),
      ]),
    );
    return { id, token };
  }

  async authenticate(id: string, token: string | undefined): Promise<SessionInfo> {
    // No credentials at all: refuse before looking anything up, so it reveals nothing.
    if (typeof token !== 'string' || token.length === 0) throw unauthorized();
    const digest = hashToken(token).toString('hex');
    if (!isUsableId(id)) throw sessionNotFound(id);
    // One round trip: the digest is checked and the activity recorded by one script.
    const now = this.now();
    const r = (await this.script('sessAuth', ...this.activityKeys(id), id, now, this.ttlMs, this.keyTtlMs, digest)) as (string | null)[];
    if (r[0] === 'gone') throw sessionNotFound(id);
    if (r[0] !== 'ok') throw unauthorized();
    await this.indexActivity(id, now);
    return toInfo(id, r.slice(1));
  }

  async get(id: string): Promise<SessionInfo | undefined> {
    if (!isUsableId(id)) return undefined;
    const h = await this.run((r) => r.hgetall(this.k.of(id).session));
    if (!h.lastSeen || this.now() - Number(h.lastSeen) >= this.ttlMs) return undefined;
    return toInfo(id, [h.createdAt, h.lastSeen, h.lastSeq, h.ackedSeq, h.principal]);
  }

  async touch(id: string): Promise<void> {
    if (!(await this.touchInfo(id))) throw sessionNotFound(id);
  }

  async end(id: string): Promise<void> {
    if (!isUsableId(id)) return;
    await this.drop(id, true);
  }

  /** Sessions open from the activity index (ZCOUNT per bucket), and the idlest `sample` outboxes. */
  async outboxStats(sample: number, top = 0): Promise<OutboxStats> {
    const since = this.now() - this.ttlMs;
    return this.run(async (r) => {
      const [counts, found] = await Promise.all([
        Promise.all(this.k.indexes.map((index) => r.zcount(index, `(${since}`, '+inf'))),
        Promise.all(this.k.indexes.map((index) => r.zrangebyscore(index, `(${since}`, '+inf', 'WITHSCORES', 'LIMIT', 0, sample))),
      ]);
      const ids = idlest(found, sample);
      const stats: OutboxStats = { sessions: counts.reduce((a, b) => a + b, 0), sampled: 0, maxPending: 0, totalPending: 0 };
      if (ids.length === 0) return stats;
      // One command per session (each in its own slot on a cluster); sent together, answered in one round trip.
      const fields = await Promise.all(ids.map((id) => r.hmget(this.k.of(id).session, 'lastSeq', 'ackedSeq').catch(() => undefined)));
      const depths: { session: string; depth: number }[] = [];
      fields.forEach((f, i) => {
        const [last, acked] = (f ?? []) as (string | null)[];
        if (last == null) return;
        const pending = Number(last) - Number(acked ?? 0);
        stats.sampled++;
        stats.totalPending += pending;
        if (pending > stats.maxPending) stats.maxPending = pending;
        if (top > 0 && pending > 0) depths.push({ session: ids[i]!, depth: pending });
      });
      if (top > 0) stats.deepest = deepestOf(depths, top);
      return stats;
    });
  }

  async push(id: string, draft: OutboxDraft, opts: PushOptions): Promise<number> {
    const k = this.requireKeys(id);
    const limit = normalizeLimit(opts.limit);
    const { seq: _ignored, ...rest } = draft as OutboxDraft & { seq?: number };
    // seq goes first so the script can put the real one in place of the 0.
    const json = JSON.stringify({ seq: 0, ...rest });
    const r = (await this.script(
      'sessPush',
      k.session,
      k.outbox,
      k.dedupe,
      this.k.channel(id),
      json,
      Number.isFinite(limit) ? limit : -1,
      opts.overflow,
      this.now(),
      this.ttlMs,
      opts.dedupeKey ?? '',
      DEDUPE_WINDOW,
    )) as number[];
    if (r[0] === -1) throw sessionNotFound(id);
    if (r[0] === -2) throw outboxFull(id, r[1]!, limit);
    if (r[1]! > 0) {
      this.logger.warn(
        { session: id, dropped: r[1], fromSeq: r[2], toSeq: r[3] },
        'session outbox full: oldest pending frames dropped (the client sees a seq gap)',
      );
    }
    return r[0]!;
  }

  async pending(id: string, after: number, max?: number): Promise<OutboxFrame[]> {
    const k = this.requireKeys(id);
    const from = Number.isFinite(after) ? after : 0;
    const count = max === undefined || !Number.isFinite(max) ? -1 : Math.max(0, Math.floor(max));
    const r = (await this.script('sessPending', k.session, k.outbox, from, count, this.now(), this.ttlMs)) as (number | string)[];
    if (r[0] === -1) throw sessionNotFound(id);
    return r.slice(1).map((f) => JSON.parse(f as string) as OutboxFrame);
  }

  async ack(id: string, seq: number): Promise<void> {
    const k = this.requireKeys(id);
    if (!Number.isFinite(seq)) return;
    const r = await this.script('sessAck', k.session, k.outbox, Math.floor(seq), this.now(), this.ttlMs);
    if (r === -1) throw sessionNotFound(id);
  }

  async getState(id: string): Promise<Record<string, unknown>> {
    const k = this.requireKeys(id);
    const r = (await this.script('sessGetState', k.session, k.state, this.now(), this.ttlMs)) as [number, string | null];
    if (r[0] === -1) throw sessionNotFound(id);
    return r[1] ? (JSON.parse(r[1]) as Record<string, unknown>) : {};
  }

  async setState(id: string, state: Record<string, unknown>): Promise<void> {
    const k = this.requireKeys(id);
    const json = JSON.stringify(checkState(state));
    const r = await this.script('sessSetState', k.session, k.state, json, this.now(), this.ttlMs);
    if (r === -1) throw sessionNotFound(id);
  }

  async join(group: string, id: string): Promise<void> {
    const k = this.requireKeys(id);
    const groupKey = this.k.group(group);
    // Single Redis: one script. Cluster: the session first, then the group (a retried join repeats both, harmlessly).
    const keys = this.k.spread ? [k.session, k.joined] : [k.session, k.joined, groupKey];
    const r = await this.script('sessJoin', keys.length, ...keys, group, id, this.now(), this.ttlMs);
    if (r === -1) throw sessionNotFound(id);
    if (this.k.spread) await this.run((c) => c.sadd(groupKey, id));
  }

  async leave(group: string, id: string): Promise<void> {
    if (!isUsableId(id)) return;
    await this.run((r) => Promise.all([r.srem(this.k.group(group), id), r.srem(this.k.of(id).joined, group)]));
  }

  /** Live members; ids whose session Redis already dropped (key TTL) are pruned, idle ones are left for expireIdle. */
  async members(group: string): Promise<string[]> {
    const key = this.k.group(group);
    const now = this.now();
    return this.run(async (r) => {
      const ids = await r.smembers(key);
      const seen = await Promise.all(ids.map((id) => r.hget(this.k.of(id).session, 'lastSeen')));
      const gone = ids.filter((_, i) => seen[i] == null);
      if (gone.length) await r.srem(key, ...gone);
      return ids.filter((_, i) => seen[i] != null && now - Number(seen[i]) < this.ttlMs).sort();
    });
  }

  subscribe(id: string, listener: (frame?: OutboxFrame) => void): () => void {
    if (this.closed) return () => undefined;
    if (!this.hub) {
      // The subscriber may queue while offline: SUBSCRIBE is sent as soon as it connects.
      this.subscriber = connect(
        { redis: this.opts.redis, timeoutMs: this.timeoutMs, logger: this.logger, name: 'itinera-sessions-sub' },
        { ...failFastOptions(this.timeoutMs), enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null },
      );
      this.hub = new RedisWakeHub(this.subscriber, (sid) => this.k.channel(sid), this.logger);
    }
    return this.hub.subscribe(id, listener);
  }

  /**
   * Idle sessions, from every index bucket. Each candidate is claimed by removing it from
   * the index (ZREM answers 1 to one caller only), then dropped by one script on its own
   * slot: exactly one node gets each expired session's pending frames, cluster or not.
   */
  async expireIdle(now: number): Promise<{ id: string; pending: OutboxFrame[] }[]> {
    const expired: { id: string; pending: OutboxFrame[] }[] = [];
    const cutoff = String(now - this.ttlMs);
    for (const index of this.k.indexes) {
      for (;;) {
        const ids = await this.run((r) => r.zrangebyscore(index, '-inf', cutoff, 'LIMIT', 0, EXPIRE_BATCH));
        const found = await Promise.all(ids.map((id) => this.expireOne(index, id, now)));
        for (const e of found) if (e) expired.push(e);
        if (ids.length < EXPIRE_BATCH) break;
      }
    }
    return expired;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub?.clear();
    await Promise.all([closeConnection(this.client), closeConnection(this.subscriber)]);
  }

  private async expireOne(index: string, id: string, now: number): Promise<{ id: string; pending: OutboxFrame[] } | undefined> {
    if ((await this.run((r) => r.zrem(index, id))) === 0) return undefined;
    const r = await this.drop(id, false, now);
    if (r.kept !== undefined) {
      // The index lagged behind the session: put it back, keep the session.
      await this.run((c) => c.zadd(index, r.kept!, id));
      return undefined;
    }
    return { id, pending: r.frames };
  }

  /** Remove a session (`force`) or an idle one; leave its groups and the index after. */
  private async drop(id: string, force: boolean, now = this.now()): Promise<{ kept?: string; frames: OutboxFrame[] }> {
    const k = this.k.of(id);
    const r = (await this.script('sessDrop', k.session, k.outbox, k.state, k.joined, k.dedupe, this.k.channel(id), now, this.ttlMs, force ? '1' : '0')) as (
      | number
      | string
    )[];
    if (Number(r[0]) === 0) return { kept: String(r[1]), frames: [] };
    const groups = r.slice(2, 2 + Number(r[1])).map(String);
    const frames = r.slice(2 + groups.length).map((f) => JSON.parse(String(f)) as OutboxFrame);
    await this.run((c) => Promise.all([...groups.map((g) => c.srem(this.k.group(g), id)), force ? c.zrem(this.k.index(id), id) : 0]));
    return { frames };
  }

  /** The keys of sessTouch and sessAuth: on a single Redis the index too, so one script records the activity. */
  private activityKeys(id: string): (string | number)[] {
    const k = this.k.of(id);
    return this.k.spread ? [4, k.session, k.outbox, k.state, k.joined] : [5, k.session, k.outbox, k.state, k.joined, this.k.index(id)];
  }

  /** On a cluster the index bucket is another slot: written after the session's script succeeded. */
  private async indexActivity(id: string, now: number): Promise<void> {
    if (this.k.spread) await this.run((r) => r.zadd(this.k.index(id), now, id));
  }

  private requireKeys(id: string) {
    if (!isUsableId(id)) throw sessionNotFound(id);
    return this.k.of(id);
  }

  /** Record activity; the session's fields afterwards, or undefined when it is gone or expired. */
  private async touchInfo(id: string): Promise<SessionInfo | undefined> {
    if (!isUsableId(id)) return undefined;
    const now = this.now();
    const r = (await this.script('sessTouch', ...this.activityKeys(id), id, now, this.ttlMs, this.keyTtlMs)) as (string | null)[];
    if (r.length === 0) return undefined;
    await this.indexActivity(id, now);
    return toInfo(id, r);
  }

  private script(name: ScriptName, ...args: (string | number)[]): Promise<unknown> {
    return this.run((r) => (r as unknown as Record<ScriptName, ScriptFn>)[name](...args));
  }

  /** Every Redis call: wait briefly for a connection, and turn failures into TRANSPORT_UNAVAILABLE. */
  private async run<T>(op: (r: RedisClient) => Promise<T>): Promise<T> {
    if (this.closed) throw unavailable(new Error('the session store is closed'));
    try {
      await ready(this.client, this.timeoutMs);
      return await op(this.client);
    } catch (err) {
      throw unavailable(err);
    }
  }
}

function toInfo(id: string, f: (string | null | undefined)[]): SessionInfo {
  const info: SessionInfo = { id, createdAt: Number(f[0]), lastSeen: Number(f[1]), lastSeq: Number(f[2] ?? 0), ackedSeq: Number(f[3] ?? 0) };
  // Written by create() only, from an authenticated principal.
  if (f[4]) info.principal = JSON.parse(f[4]) as Principal;
  return info;
}

/** A MULTI/EXEC's replies: a failed command inside fails the call. */
function checkReplies(results: [Error | null, unknown][] | null): void {
  const failed = results?.find(([err]) => err);
  if (failed) throw failed[0];
}

/** The `sample` idlest ids over every bucket's WITHSCORES answer (each already the idlest of its bucket). */
function idlest(buckets: string[][], sample: number): string[] {
  const all: { id: string; at: number }[] = [];
  for (const flat of buckets) for (let i = 0; i + 1 < flat.length; i += 2) all.push({ id: flat[i]!, at: Number(flat[i + 1]) });
  return all
    .sort((a, b) => a.at - b.at)
    .slice(0, sample)
    .map((e) => e.id);
}
