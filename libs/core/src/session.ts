import type { Principal } from './principal';
import type { CallbackFrame, FaultFrame, OutboxFrame } from '@itinera/client';
/**
 * Duplex sessions: a session outlives its connections. Callbacks and faults go
 * into its outbox with a per-session sequence (from 1, no gaps) and stay there
 * until acknowledged.
 */
// The wire frames are defined once, by the published client (@itinera/client, no dependencies);
// type-only, so nothing of the client runs on the server.
export type { CallbackFrame, FaultFrame, OutboxFrame, SendFrame } from '@itinera/client';

export type OutboxDraft = Omit<CallbackFrame, 'seq'> | Omit<FaultFrame, 'seq'>;

export interface SessionInfo {
  id: string;
  createdAt: number;
  lastSeen: number;
  /** Highest seq assigned so far. */
  lastSeq: number;
  /** Highest seq acknowledged by the client. */
  ackedSeq: number;
  /** Who opened it: a resume or request with another principal's credential is refused. */
  principal?: Principal;
}

export interface OutboxStats {
  /** Sessions open (not expired). */
  sessions: number;
  /** Sessions whose outbox was read. */
  sampled: number;
  /** Most pending frames in one outbox, and their sum, over the sampled sessions. */
  maxPending: number;
  totalPending: number;
  /** The `top` deepest outboxes among the sampled ones, the deepest first (when asked for). */
  deepest?: { session: string; depth: number }[];
}

export interface PushOptions {
  /** Pending (unacknowledged) frames allowed; past it `overflow` applies. */
  limit: number;
  /** `fault`: the push fails with SESSION_OUTBOX_FULL. `drop-oldest`: the oldest pending frame is discarded. */
  overflow: 'fault' | 'drop-oldest';
  /**
   * Identifies the push (e.g. the step id of the callback step). A push whose key
   * is among the session's recent keys appends nothing and returns the earlier
   * seq: a step run again after a redelivery does not call the client back twice.
   */
  dedupeKey?: string;
}

/** How many recent dedupe keys a session remembers. */
export const DEDUPE_WINDOW = 1000;

export interface SessionStore {
  readonly kind: string;
  /** `principal`: who opens it (kept with the session, see SessionInfo.principal). */
  create(opts?: { principal?: Principal }): Promise<{ id: string; token: string }>;
  /** Throws ItineraError SESSION_NOT_FOUND (unknown/expired) or UNAUTHORIZED (wrong token). */
  authenticate(id: string, token: string | undefined): Promise<SessionInfo>;
  get(id: string): Promise<SessionInfo | undefined>;
  /** Record activity (extends the inactivity timeout). */
  touch(id: string): Promise<void>;
  /** End for good (bye / DELETE). */
  end(id: string): Promise<void>;
  /** Append to the outbox; returns the seq. Throws SESSION_NOT_FOUND or SESSION_OUTBOX_FULL. */
  push(id: string, frame: OutboxDraft, opts: PushOptions): Promise<number>;
  /** Frames with seq > after, in order. */
  pending(id: string, after: number, max?: number): Promise<OutboxFrame[]>;
  /** Acknowledge every frame up to `seq` (cumulative). */
  ack(id: string, seq: number): Promise<void>;
  getState(id: string): Promise<Record<string, unknown>>;
  setState(id: string, state: Record<string, unknown>): Promise<void>;
  join(group: string, id: string): Promise<void>;
  leave(group: string, id: string): Promise<void>;
  members(group: string): Promise<string[]>;
  /**
   * Wake-up when the outbox of `id` grows; the store still holds every frame. The store
   * may pass the frame just pushed, a hint that lets the listener deliver it without
   * reading `pending` when it is the next one it expects.
   */
  subscribe(id: string, listener: (frame?: OutboxFrame) => void): () => void;
  /**
   * For metrics: sessions open, and pending (unacknowledged) frames over at most `sample`
   * of them (the idlest first: an absent client's outbox is the one that grows).
   */
  outboxStats?(sample: number, top?: number): Promise<OutboxStats>;
  /** Expire sessions idle longer than the TTL; returns what they still had pending. */
  expireIdle(now: number): Promise<{ id: string; pending: OutboxFrame[] }[]>;
  close(): Promise<void>;
}
