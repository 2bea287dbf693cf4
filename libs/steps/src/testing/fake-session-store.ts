import { ItineraError, newId, newToken, type OutboxDraft, type OutboxFrame, type PushOptions, type SessionInfo, type SessionStore } from '@itinera/core';

interface FakeSession {
  info: SessionInfo;
  token: string;
  outbox: OutboxFrame[];
  state: Record<string, unknown>;
}

/**
 * An in-memory SessionStore for step tests: the contract's behaviour (seq from 1
 * without gaps, outbox limit and overflow, cumulative ack, groups, state) without
 * expiry timers. Not for production: see @itinera/sessions.
 */
export class FakeSessionStore implements SessionStore {
  readonly kind = 'fake';
  private readonly sessions = new Map<string, FakeSession>();
  private readonly groups = new Map<string, Set<string>>();
  private readonly listeners = new Map<string, Set<() => void>>();

  /** Create a session with a known id (and state), synchronously. */
  seed(id: string, state: Record<string, unknown> = {}): void {
    if (this.sessions.has(id)) return;
    const now = Date.now();
    this.sessions.set(id, {
      info: { id, createdAt: now, lastSeen: now, lastSeq: 0, ackedSeq: 0 },
      token: newToken(),
      outbox: [],
      state: structuredClone(state),
    });
  }

  /** Every frame pushed and not acknowledged, for assertions. */
  frames(id: string): OutboxFrame[] {
    return [...(this.sessions.get(id)?.outbox ?? [])];
  }

  /** Drop a session without leaving its groups (as an expiry would). */
  vanish(id: string): void {
    this.sessions.delete(id);
  }

  async create(): Promise<{ id: string; token: string }> {
    const id = newId();
    this.seed(id);
    return { id, token: this.sessions.get(id)!.token };
  }

  async authenticate(id: string, token: string | undefined): Promise<SessionInfo> {
    const s = this.must(id);
    if (token !== s.token) throw new ItineraError('UNAUTHORIZED', 'wrong session token');
    return { ...s.info };
  }

  async get(id: string): Promise<SessionInfo | undefined> {
    const s = this.sessions.get(id);
    return s ? { ...s.info } : undefined;
  }

  async touch(id: string): Promise<void> {
    this.must(id).info.lastSeen = Date.now();
  }

  async end(id: string): Promise<void> {
    this.sessions.delete(id);
    for (const members of this.groups.values()) members.delete(id);
  }

  async push(id: string, frame: OutboxDraft, opts: PushOptions): Promise<number> {
    const s = this.must(id);
    const pending = s.outbox.filter((f) => f.seq > s.info.ackedSeq);
    if (pending.length >= opts.limit) {
      if (opts.overflow === 'fault')
        throw new ItineraError('SESSION_OUTBOX_FULL', `session ${id} has ${pending.length} unacknowledged frames (limit ${opts.limit})`);
      s.outbox.shift();
    }
    const seq = ++s.info.lastSeq;
    s.outbox.push({ ...structuredClone(frame), seq } as OutboxFrame);
    for (const l of this.listeners.get(id) ?? []) l();
    return seq;
  }

  async pending(id: string, after: number, max = Infinity): Promise<OutboxFrame[]> {
    return this.must(id)
      .outbox.filter((f) => f.seq > after)
      .slice(0, max);
  }

  async ack(id: string, seq: number): Promise<void> {
    const s = this.must(id);
    s.info.ackedSeq = Math.max(s.info.ackedSeq, Math.min(seq, s.info.lastSeq));
    s.outbox = s.outbox.filter((f) => f.seq > s.info.ackedSeq);
  }

  async getState(id: string): Promise<Record<string, unknown>> {
    return structuredClone(this.sessions.get(id)?.state ?? {});
  }

  async setState(id: string, state: Record<string, unknown>): Promise<void> {
    this.must(id).state = structuredClone(state);
  }

  async join(group: string, id: string): Promise<void> {
    this.must(id);
    const members = this.groups.get(group) ?? new Set<string>();
    members.add(id);
    this.groups.set(group, members);
  }

  async leave(group: string, id: string): Promise<void> {
    this.groups.get(group)?.delete(id);
  }

  async members(group: string): Promise<string[]> {
    return [...(this.groups.get(group) ?? [])];
  }

  subscribe(id: string, listener: () => void): () => void {
    const set = this.listeners.get(id) ?? new Set<() => void>();
    set.add(listener);
    this.listeners.set(id, set);
    return () => set.delete(listener);
  }

  async expireIdle(): Promise<{ id: string; pending: OutboxFrame[] }[]> {
    return [];
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  private must(id: string): FakeSession {
    const s = this.sessions.get(id);
    if (!s) throw new ItineraError('SESSION_NOT_FOUND', `no session ${id}: it expired or ended`);
    return s;
  }
}
