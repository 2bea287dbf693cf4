import type { Envelope, MessageStatus, TraceEntry } from './envelope';

/** What `GET /messages/{id}` shows. */
export interface MessageRecord {
  messageId: string;
  correlationId: string;
  itinerary: string;
  status: MessageStatus;
  action?: string;
  session?: string;
  /** Id of the principal that sent it (owner check on GET /messages/{id}). */
  principal?: string;
  acceptedAt: string;
  updatedAt: string;
  trace: TraceEntry[];
  /** Context properties decided along the way (endpoint, decisions). */
  context?: Record<string, unknown>;
  reply?: { body: unknown };
  error?: { code: string; message: string; step?: string };
}

export interface MessageStore {
  put(record: MessageRecord): Promise<void>;
  get(messageId: string): Promise<MessageRecord | undefined>;
  /** Merge a status change and new trace entries. */
  update(messageId: string, patch: Partial<Omit<MessageRecord, 'messageId' | 'trace'>>, trace?: TraceEntry[]): Promise<void>;
  /** Records by id, correlation, itinerary, status and time, newest accepted first (GET /messages). */
  search?(query: MessageQuery): Promise<Page<MessageSummary>>;
  close(): Promise<void>;
}

/** What `GET /messages` filters on; every given field must match. */
export interface MessageQuery {
  id?: string;
  correlationId?: string;
  /** An itinerary name, or `name@version`. */
  itinerary?: string;
  status?: MessageStatus;
  /** Accepted at or after / before this time (epoch ms). */
  since?: number;
  until?: number;
  limit: number;
  /** `nextCursor` of the page before. */
  cursor?: string;
}

/** One message in a search result. */
export interface MessageSummary {
  id: string;
  correlationId: string;
  itinerary: string;
  version: string;
  status: MessageStatus;
  acceptedAt: string;
  updatedAt: string;
}

/** A page of a list; `nextCursor` is absent on the last one. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** What `GET /faults` filters on. */
export interface FaultQuery {
  /** An itinerary name, or `name@version`. */
  itinerary?: string;
  step?: string;
  code?: string;
  limit: number;
  cursor?: string;
}

export type FaultGroupBy = 'itinerary' | 'step' | 'code';

/** A message whose itinerary failed for good: kept to inspect, repair and resubmit. */
export interface FaultRecord {
  id: string;
  messageId: string;
  correlationId: string;
  itinerary: string;
  step?: string;
  attempts: number;
  error: { code: string; message: string };
  envelope: Envelope;
  at: string;
  /**
   * JSON pointers of the parts replaced by `{ truncated: true, bytes }` markers because the
   * fault passed its byte budget (ITINERA_FAULT_MAX_BYTES): a resubmission must supply them.
   */
  truncated?: string[];
}

export interface FaultStore {
  add(fault: FaultRecord): Promise<void>;
  get(id: string): Promise<FaultRecord | undefined>;
  list(limit?: number): Promise<FaultRecord[]>;
  /** Faults matching every given filter, newest first, a page at a time. */
  query?(query: FaultQuery): Promise<Page<FaultRecord>>;
  /** How many faults share each itinerary, step or error code, the largest group first. */
  groups?(by: FaultGroupBy): Promise<{ key: string; count: number }[]>;
  remove(id: string): Promise<void>;
  close(): Promise<void>;
}

/** Idempotency-Key records: the first acceptance of a key, and its body hash. */
export interface IdempotencyStore {
  /** Claim `key` for `hash`; returns the earlier claim's value when there is one. */
  claim(key: string, hash: string, value: unknown, ttlMs: number): Promise<{ hash: string; value: unknown } | undefined>;
  /** The claim of `key`, if any. */
  get(key: string): Promise<{ hash: string; value: unknown } | undefined>;
  /** Replace the claim of `key` (a reservation becomes the acceptance it reserved). */
  set(key: string, hash: string, value: unknown, ttlMs: number): Promise<void>;
  /** Drop the claim of `key` (a reservation whose request was not accepted). */
  release(key: string): Promise<void>;
  close(): Promise<void>;
}
