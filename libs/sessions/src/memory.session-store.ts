import { deepestOf } from './outbox-depth';
import {
  DEDUPE_WINDOW,
  jsonCopy,
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
import { DEFAULT_SESSION_TTL_MS, checkState, isUsableId, normalizeLimit, outboxFull, sessionNotFound, unauthorized } from './session-errors';
import { hashToken, tokenMatches } from './session-token';

export interface MemorySessionStoreOptions {
  /** Inactivity timeout: a session not authenticated or touched for this long expires. */
  ttlMs?: number;
  /** Clock, injectable for tests. */
  now?: () => number;
  logger?: Logger;
}

interface MemorySession {
  id: string;
  tokenHash: Buffer;
  createdAt: number;
  lastSeen: number;
  lastSeq: number;
  ackedSeq: number;
  principal?: Principal;
  /** Pending frames, ascending seq. */
  outbox: OutboxFrame[];
  state: Record<string, unknown>;
  groups: Set<string>;
  /** Recent dedupe keys → seq (insertion order = age). */
  dedupe?: Map<string, number>;
}

/**
 * Sessions in this process only (the embedded, one-process bus). Every method
 * runs synchronously between awaits, so seq assignment is atomic.
 */
export class MemorySessionStore implements SessionStore {
  readonly kind = 'memory';
  readonly ttlMs: number;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly sessions = new Map<string, MemorySession>();
  private readonly groups = new Map<string, Set<string>>();
  private readonly listeners = new Map<string, Set<(frame?: OutboxFrame) => void>>();

  constructor(opts: MemorySessionStoreOptions = {}) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_SESSION_TTL_MS;
    this.now = opts.now ?? Date.now;
    this.logger = opts.logger ?? silentLogger;
  }

  async create(opts: { principal?: Principal } = {}): Promise<{ id: string; token: string }> {
    const id = newId();
    const token = newToken();
    const at = this.now();
    this.sessions.set(id, {
      ...(opts.principal ? { principal: opts.principal } : {}),
      id,
      tokenHash: hashToken(token),
      createdAt: at,
      lastSeen: at,
      lastSeq: 0,
      ackedSeq: 0,
      outbox: [],
      state: {},
      groups: new Set(),
    });
    return { id, token };
  }

  async authenticate(id: string, token: string | undefined): Promise<SessionInfo> {
    // No credentials at all: refuse before looking anything up, so it reveals nothing.
    if (typeof token !== 'string' || token.length === 0) throw unauthorized();
    const s = this.live(id);
    if (!tokenMatches(s?.tokenHash, token)) {
      if (!s) throw sessionNotFound(id);
      throw unauthorized();
    }
    s!.lastSeen = this.now();
    return info(s!);
  }

  async get(id: string): Promise<SessionInfo | undefined> {
    const s = this.live(id);
    return s ? info(s) : undefined;
  }

  async touch(id: string): Promise<void> {
    this.require(id).lastSeen = this.now();
  }

  async end(id: string): Promise<void> {
    const s = this.sessions.get(id);
    if (s) this.drop(s);
  }

  async push(id: string, draft: OutboxDraft, opts: PushOptions): Promise<number> {
    const s = this.require(id);
    const earlier = opts.dedupeKey === undefined ? undefined : s.dedupe?.get(opts.dedupeKey);
    if (earlier !== undefined) return earlier;
    const limit = normalizeLimit(opts.limit);
    if (s.outbox.length >= limit) {
      if (opts.overflow !== 'drop-oldest') throw outboxFull(id, s.outbox.length, limit);
      const dropped = s.outbox.splice(0, s.outbox.length - limit + 1);
      this.logger.warn(
        { session: id, dropped: dropped.length, fromSeq: dropped[0]?.seq, toSeq: dropped.at(-1)?.seq },
        'session outbox full: oldest pending frames dropped (the client sees a seq gap)',
      );
    }
    const seq = s.lastSeq + 1;
    const { seq: _ignored, ...rest } = draft as OutboxDraft & { seq?: number };
    s.outbox.push(jsonCopy({ seq, ...rest }) as OutboxFrame);
    s.lastSeq = seq;
    if (opts.dedupeKey !== undefined) {
      s.dedupe ??= new Map();
      s.dedupe.set(opts.dedupeKey, seq);
      if (s.dedupe.size > DEDUPE_WINDOW) s.dedupe.delete(s.dedupe.keys().next().value!);
    }
    this.wake(id, s.outbox[s.outbox.length - 1]);
    return seq;
  }

  async pending(id: string, after: number, max = Number.POSITIVE_INFINITY): Promise<OutboxFrame[]> {
    const s = this.require(id);
    const out: OutboxFrame[] = [];
    for (const f of s.outbox) {
      if (out.length >= max) break;
      if (f.seq > after) out.push(jsonCopy(f));
    }
    return out;
  }

  async ack(id: string, seq: number): Promise<void> {
    const s = this.require(id);
    const upTo = Math.min(Math.floor(seq), s.lastSeq);
    if (!(upTo > s.ackedSeq)) return;
    s.ackedSeq = upTo;
    let n = 0;
    while (n < s.outbox.length && s.outbox[n]!.seq <= upTo) n++;
    s.outbox.splice(0, n);
  }

  async getState(id: string): Promise<Record<string, unknown>> {
    return jsonCopy(this.require(id).state);
  }

  async setState(id: string, state: Record<string, unknown>): Promise<void> {
    const s = this.require(id);
    s.state = jsonCopy(checkState(state));
  }

  async join(group: string, id: string): Promise<void> {
    const s = this.require(id);
    s.groups.add(group);
    let set = this.groups.get(group);
    if (!set) this.groups.set(group, (set = new Set()));
    set.add(id);
  }

  async leave(group: string, id: string): Promise<void> {
    this.sessions.get(id)?.groups.delete(group);
    const set = this.groups.get(group);
    if (!set) return;
    set.delete(id);
    if (set.size === 0) this.groups.delete(group);
  }

  async members(group: string): Promise<string[]> {
    const set = this.groups.get(group);
    if (!set) return [];
    return [...set].filter((id) => this.live(id)).sort();
  }

  subscribe(id: string, listener: (frame?: OutboxFrame) => void): () => void {
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      const current = this.listeners.get(id);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.listeners.delete(id);
    };
  }

  async outboxStats(sample: number, top = 0): Promise<OutboxStats> {
    const now = this.now();
    const stats: OutboxStats = { sessions: 0, sampled: 0, maxPending: 0, totalPending: 0 };
    const depths: { session: string; depth: number }[] = [];
    // Map order is creation order, close enough to idlest first for a sample.
    for (const s of this.sessions.values()) {
      if (now - s.lastSeen >= this.ttlMs) continue;
      stats.sessions++;
      if (stats.sampled >= sample) continue;
      stats.sampled++;
      const pending = s.outbox.length;
      stats.totalPending += pending;
      if (pending > stats.maxPending) stats.maxPending = pending;
      if (top > 0 && pending > 0) depths.push({ session: s.id, depth: pending });
    }
    if (top > 0) stats.deepest = deepestOf(depths, top);
    return stats;
  }

  async expireIdle(now: number): Promise<{ id: string; pending: OutboxFrame[] }[]> {
    const expired: { id: string; pending: OutboxFrame[] }[] = [];
    for (const s of [...this.sessions.values()]) {
      if (now - s.lastSeen < this.ttlMs) continue;
      expired.push({ id: s.id, pending: s.outbox.map((f) => jsonCopy(f)) });
      this.drop(s);
    }
    return expired;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  /** The session if it exists and has not idled past the TTL (expired ones wait for `expireIdle`). */
  private live(id: string): MemorySession | undefined {
    if (!isUsableId(id)) return undefined;
    const s = this.sessions.get(id);
    if (!s || this.now() - s.lastSeen >= this.ttlMs) return undefined;
    return s;
  }

  private require(id: string): MemorySession {
    const s = this.live(id);
    if (!s) throw sessionNotFound(id);
    return s;
  }

  private drop(s: MemorySession): void {
    this.sessions.delete(s.id);
    for (const g of s.groups) {
      const set = this.groups.get(g);
      set?.delete(s.id);
      if (set && set.size === 0) this.groups.delete(g);
    }
    // Holders of the session's connections wake up and find it gone.
    this.wake(s.id);
  }

  private wake(id: string, frame?: OutboxFrame): void {
    const set = this.listeners.get(id);
    if (!set) return;
    for (const listener of [...set]) {
      queueMicrotask(() => {
        try {
          listener(frame && jsonCopy(frame));
        } catch (err) {
          this.logger.warn({ session: id, err }, 'session wake-up listener threw');
        }
      });
    }
  }
}

function info(s: MemorySession): SessionInfo {
  const i: SessionInfo = { id: s.id, createdAt: s.createdAt, lastSeen: s.lastSeen, lastSeq: s.lastSeq, ackedSeq: s.ackedSeq };
  if (s.principal) i.principal = s.principal;
  return i;
}
