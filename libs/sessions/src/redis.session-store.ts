import type { ChainableCommander, Redis, RedisOptions } from 'ioredis';
import {
  DEDUPE_WINDOW,
  newId,
  newToken,
  silentLogger,
  type Logger,
  type OutboxDraft,
  type OutboxFrame,
  type OutboxStats,
  type Principal,
  type PushOptions,
  type SessionInfo,
  type SessionStore,
} from '@itinera/core';
import { closeConnection, connect, failFastOptions, ready, unavailable } from './redis.connection';
import { SCRIPTS, type ScriptName } from './redis.scripts';
import { RedisWakeHub } from './redis.wake-hub';
import { DEFAULT_SESSION_TTL_MS, checkState, isUsableId, normalizeLimit, outboxFull, sessionNotFound, unauthorized } from './session-errors';
import { hashToken } from './session-token';

export interface RedisSessionStoreOptions {
  /** `redis://…` URL or ioredis options. Options given here override the fail-fast defaults. */
  redis: string | RedisOptions;
  /** Key prefix; keep a `{hash tag}` in it so every key lands in one Redis Cluster slot. Default `{itinera}`. */
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
  private readonly ns: string;
  private readonly keyTtlMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly client: Redis;
  private hub?: RedisWakeHub;
  private subscriber?: Redis;
  private closed = false;

  constructor(private readonly opts: RedisSessionStoreOptions) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_SESSION_TTL_MS;
    this.prefix = opts.prefix ?? '{itinera}';
    this.ns = `${this.prefix}:duplex`;
    this.keyTtlMs = Math.ceil(opts.keyTtlMs ?? Math.max(2 * this.ttlMs, this.ttlMs + 60_000));
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.now = opts.now ?? Date.now;
    this.logger = (opts.logger ?? silentLogger).child({ component: 'redis-session-store' });
    if (!/\{[^}]+\}/.test(this.prefix)) {
      this.logger.warn({ prefix: this.prefix }, 'session key prefix has no {hash tag}: Redis Cluster will refuse the session scripts');
    }
    this.client = connect({ redis: opts.redis, timeoutMs: this.timeoutMs, logger: this.logger, name: 'itinera-sessions' }, failFastOptions(this.timeoutMs));
    for (const [name, def] of Object.entries(SCRIPTS)) this.client.defineCommand(name, def);
  }

  async create(opts: { principal?: Principal } = {}): Promise<{ id: string; token: string }> {
    const id = newId();
    const token = newToken();
    const at = String(this.now());
    const k = this.keys(id);
    await this.exec((m) =>
      m
        .hset(k.session, {
          tokenHash: hashToken(token).toString('hex'),
          createdAt: at,
          lastSeen: at,
          lastSeq: 0,
          ackedSeq: 0,
          ...(opts.principal ? { principal: JSON.stringify(opts.principal) } : {}),
        })
        .pexpire(k.session, this.keyTtlMs)
        .zadd(this.index, at, id),
    );
    return { id, token };
  }

  async authenticate(id: string, token: string | undefined): Promise<SessionInfo> {
    // No credentials at all: refuse before looking anything up, so it reveals nothing.
    if (typeof token !== 'string' || token.length === 0) throw unauthorized();
    const digest = hashToken(token).toString('hex');
    if (!isUsableId(id)) throw sessionNotFound(id);
    // One round trip: the digest is checked and the activity recorded by one script.
    const k = this.keys(id);
    const r = (await this.script('sessAuth', k.session, k.outbox, k.state, k.joined, this.index, id, this.now(), this.ttlMs, this.keyTtlMs, digest)) as (
      string | null
    )[];
    if (r[0] === 'gone') throw sessionNotFound(id);
    if (r[0] !== 'ok') throw unauthorized();
    return toInfo(id, r.slice(1));
  }

  async get(id: string): Promise<SessionInfo | undefined> {
    if (!isUsableId(id)) return undefined;
    const h = await this.run((r) => r.hgetall(this.keys(id).session));
    if (!h.lastSeen || this.now() - Number(h.lastSeen) >= this.ttlMs) return undefined;
    return toInfo(id, [h.createdAt, h.lastSeen, h.lastSeq, h.ackedSeq, h.principal]);
  }

  async touch(id: string): Promise<void> {
    if (!(await this.touchInfo(id))) throw sessionNotFound(id);
  }

  async end(id: string): Promise<void> {
    if (!isUsableId(id)) return;
    await this.script('sessEnd', this.index, this.ns, id);
  }

  /** Sessions open from the activity index (ZCOUNT), and the idlest `sample` outboxes in one pipeline. */
  async outboxStats(sample: number): Promise<OutboxStats> {
    const since = this.now() - this.ttlMs;
    return this.run(async (r) => {
      const [sessions, ids] = await Promise.all([
        r.zcount(this.index, `(${since}`, '+inf'),
        r.zrangebyscore(this.index, `(${since}`, '+inf', 'LIMIT', 0, sample),
      ]);
      const stats: OutboxStats = { sessions, sampled: 0, maxPending: 0, totalPending: 0 };
      if (ids.length === 0) return stats;
      const pipe = r.pipeline();
      for (const id of ids) pipe.hmget(this.keys(id).session, 'lastSeq', 'ackedSeq');
      for (const [err, f] of (await pipe.exec()) ?? []) {
        const [last, acked] = (f ?? []) as (string | null)[];
        if (err || last == null) continue;
        const pending = Number(last) - Number(acked ?? 0);
        stats.sampled++;
        stats.totalPending += pending;
        if (pending > stats.maxPending) stats.maxPending = pending;
      }
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
      this.ns,
      id,
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
    const r = await this.script('sessJoin', k.session, k.joined, this.groupKey(group), group, id, this.now(), this.ttlMs);
    if (r === -1) throw sessionNotFound(id);
  }

  async leave(group: string, id: string): Promise<void> {
    if (!isUsableId(id)) return;
    await this.exec((m) => m.srem(this.groupKey(group), id).srem(this.keys(id).joined, group));
  }

  async members(group: string): Promise<string[]> {
    const ids = (await this.script('sessMembers', this.groupKey(group), this.ns, this.now(), this.ttlMs)) as string[];
    return ids.sort();
  }

  subscribe(id: string, listener: (frame?: OutboxFrame) => void): () => void {
    if (this.closed) return () => undefined;
    if (!this.hub) {
      // The subscriber may queue while offline: SUBSCRIBE is sent as soon as it connects.
      this.subscriber = connect(
        { redis: this.opts.redis, timeoutMs: this.timeoutMs, logger: this.logger, name: 'itinera-sessions-sub' },
        { ...failFastOptions(this.timeoutMs), enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null },
      );
      this.hub = new RedisWakeHub(this.subscriber, (sid) => `${this.ns}:wake:${sid}`, this.logger);
    }
    return this.hub.subscribe(id, listener);
  }

  async expireIdle(now: number): Promise<{ id: string; pending: OutboxFrame[] }[]> {
    const expired: { id: string; pending: OutboxFrame[] }[] = [];
    for (;;) {
      const r = (await this.script('sessExpire', this.index, this.ns, now, this.ttlMs, String(now - this.ttlMs), EXPIRE_BATCH)) as (number | string)[];
      let i = 1;
      while (i < r.length) {
        const id = String(r[i]);
        const n = Number(r[i + 1]);
        const frames = r.slice(i + 2, i + 2 + n).map((f) => JSON.parse(String(f)) as OutboxFrame);
        expired.push({ id, pending: frames });
        i += 2 + n;
      }
      if (Number(r[0]) < EXPIRE_BATCH) return expired;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub?.clear();
    await Promise.all([closeConnection(this.client), closeConnection(this.subscriber)]);
  }

  private get index(): string {
    return `${this.ns}:sessions`;
  }

  private groupKey(group: string): string {
    return `${this.ns}:group:${group}`;
  }

  private keys(id: string) {
    const ns = this.ns;
    return {
      session: `${ns}:session:${id}`,
      outbox: `${ns}:outbox:${id}`,
      state: `${ns}:state:${id}`,
      joined: `${ns}:joined:${id}`,
    };
  }

  private requireKeys(id: string) {
    if (!isUsableId(id)) throw sessionNotFound(id);
    return this.keys(id);
  }

  /** Record activity; the session's fields afterwards, or undefined when it is gone or expired. */
  private async touchInfo(id: string): Promise<SessionInfo | undefined> {
    if (!isUsableId(id)) return undefined;
    const k = this.keys(id);
    const r = (await this.script('sessTouch', k.session, k.outbox, k.state, k.joined, this.index, id, this.now(), this.ttlMs, this.keyTtlMs)) as (
      string | null
    )[];
    return r.length === 0 ? undefined : toInfo(id, r);
  }

  private script(name: ScriptName, ...args: (string | number)[]): Promise<unknown> {
    return this.run((r) => (r as unknown as Record<ScriptName, ScriptFn>)[name](...args));
  }

  /** Every Redis call: wait briefly for a connection, and turn failures into TRANSPORT_UNAVAILABLE. */
  private async run<T>(op: (r: Redis) => Promise<T>): Promise<T> {
    if (this.closed) throw unavailable(new Error('the session store is closed'));
    try {
      await ready(this.client, this.timeoutMs);
      return await op(this.client);
    } catch (err) {
      throw unavailable(err);
    }
  }

  /** A MULTI/EXEC transaction; a failed command inside fails the call. */
  private async exec(build: (m: ChainableCommander) => ChainableCommander): Promise<void> {
    await this.run(async (r) => {
      const results = await build(r.multi()).exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    });
  }
}

function toInfo(id: string, f: (string | null | undefined)[]): SessionInfo {
  const info: SessionInfo = { id, createdAt: Number(f[0]), lastSeen: Number(f[1]), lastSeq: Number(f[2] ?? 0), ackedSeq: Number(f[3] ?? 0) };
  // Written by create() only, from an authenticated principal.
  if (f[4]) info.principal = JSON.parse(f[4]) as Principal;
  return info;
}
