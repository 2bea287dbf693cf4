import { ItineraError, type SessionStore } from '@itinera/core';
import type { ClosingReason } from './duplex-frames';

/** The duplex transports that reach a session: WebSocket, long polling, TCP. */
export type DuplexTransport = 'ws' | 'poll' | 'tcp';

/** One live way of reaching a session on this node: a WebSocket or TCP connection, or a held long poll. */
export interface DuplexEndpoint {
  readonly transport: DuplexTransport;
  /**
   * Stop delivering to this endpoint. `superseded` is a newer long poll of the same
   * session (the held one answers with empty items, no `closing`).
   */
  end(reason: ClosingReason | 'superseded', retryAfterMs?: number): void;
}

/** Sessions whose highest written seq is remembered; the oldest mark goes first past it. */
const MAX_WRITTEN_MARKS = 100_000;

interface SerialQueue {
  tail: Promise<unknown>;
  size: number;
}

/**
 * What one node knows about its live duplex endpoints, shared by the WebSocket and
 * long-polling on-ramps and the session sweeper through the session store they
 * share (see `registryFor`). It also runs each session's sends one at a time, in
 * arrival order, as WCF's PerSession instances with single concurrency do.
 */
export class DuplexRegistry {
  private readonly endpoints = new Map<string, Set<DuplexEndpoint>>();
  private readonly queues = new Map<string, SerialQueue>();
  /** Highest seq written to each session on this node, to tell a redelivery (for metrics; bounded). */
  private readonly written = new Map<string, number>();
  /** Outbox frames written to clients on this node, all and those written again, per transport. */
  readonly delivered = { ws: 0, poll: 0, tcp: 0 };
  readonly redelivered = { ws: 0, poll: 0, tcp: 0 };

  /**
   * Add `ep` for `session`, ending the endpoints it replaces: a WebSocket or TCP connection
   * replaces every other endpoint of the session; a long poll only supersedes an older poll.
   * A poll never ends a WebSocket, because a poll the client aborted while moving
   * to a WebSocket can still reach the server after the WebSocket's hello.
   */
  claim(session: string, ep: DuplexEndpoint): void {
    const set = this.endpoints.get(session) ?? new Set<DuplexEndpoint>();
    for (const other of [...set]) {
      if (other === ep || (ep.transport === 'poll' && other.transport !== 'poll')) continue;
      set.delete(other);
      other.end(ep.transport === 'poll' ? 'superseded' : 'replaced');
    }
    set.add(ep);
    this.endpoints.set(session, set);
  }

  release(session: string, ep: DuplexEndpoint): void {
    const set = this.endpoints.get(session);
    if (!set) return;
    set.delete(ep);
    if (set.size === 0) this.endpoints.delete(session);
  }

  /** End every endpoint of `session` on this node (expired, ended, shutdown). */
  end(session: string, reason: ClosingReason, retryAfterMs?: number): number {
    this.written.delete(session);
    const set = this.endpoints.get(session);
    if (!set) return 0;
    this.endpoints.delete(session);
    for (const ep of set) ep.end(reason, retryAfterMs);
    return set.size;
  }

  /** Count frames written to a client; one at or below the session's highest seq written here before is a redelivery. */
  noteDelivered(session: string, transport: DuplexTransport, frames: readonly { seq: number }[]): void {
    if (frames.length === 0) return;
    const high = this.written.get(session) ?? 0;
    let top = high;
    for (const f of frames) {
      if (f.seq <= high) this.redelivered[transport]++;
      else if (f.seq > top) top = f.seq;
    }
    this.delivered[transport] += frames.length;
    if (top === high) return;
    if (high === 0 && this.written.size >= MAX_WRITTEN_MARKS) this.written.delete(this.written.keys().next().value!);
    this.written.set(session, top);
  }

  /** Sessions with a live endpoint on this node, per transport (for metrics). */
  connected(): Record<DuplexTransport, number> {
    const n = { ws: 0, poll: 0, tcp: 0 };
    for (const set of this.endpoints.values()) {
      // A session held by a socket counts under that socket's transport, not its polls'.
      let socket: DuplexTransport = 'poll';
      for (const ep of set) if (ep.transport !== 'poll') socket = ep.transport;
      n[socket]++;
    }
    return n;
  }

  has(session: string): boolean {
    return (this.endpoints.get(session)?.size ?? 0) > 0;
  }

  /**
   * Run `fn` after the session's earlier sends on this node. More than `limit`
   * waiting: RATE_LIMITED, nothing runs.
   */
  serial<T>(session: string, limit: number, fn: () => Promise<T>): Promise<T> {
    const q = this.queues.get(session) ?? { tail: Promise.resolve(), size: 0 };
    if (q.size >= limit) {
      return Promise.reject(
        new ItineraError('RATE_LIMITED', `This session already has ${q.size} messages waiting for acceptance; wait for their answers before sending more.`),
      );
    }
    q.size++;
    this.queues.set(session, q);
    const run = q.tail.then(fn, fn);
    q.tail = run.then(
      () => this.done(session, q),
      () => this.done(session, q),
    );
    return run;
  }

  /** Sends still waiting on this node (all sessions). */
  inFlight(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.size;
    return n;
  }

  /** Resolves when no send is waiting, or after `timeoutMs`. */
  async settled(timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.queues.size > 0 && Date.now() < end) {
      await Promise.race([Promise.all([...this.queues.values()].map((q) => q.tail)), new Promise((r) => setTimeout(r, Math.max(1, end - Date.now())))]);
    }
  }

  private done(session: string, q: SerialQueue): void {
    q.size--;
    if (q.size === 0 && this.queues.get(session) === q) this.queues.delete(session);
  }
}

const registries = new WeakMap<SessionStore, DuplexRegistry>();

/**
 * The registry of the node that uses `sessions`. Keyed by the store object so the
 * on-ramps and the sweeper find each other without extra wiring, and two buses in
 * one process (tests) stay apart.
 */
export function registryFor(sessions: SessionStore): DuplexRegistry {
  let r = registries.get(sessions);
  if (!r) registries.set(sessions, (r = new DuplexRegistry()));
  return r;
}
