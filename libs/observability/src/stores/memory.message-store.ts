import type { MessageRecord, MessageStore, TraceEntry } from '@itinera/core';
import { BoundedMap } from './bounded-map';
import { DEFAULT_MAX_RECORDS, DEFAULT_MAX_TRACE, DEFAULT_RECORD_TTL_MS, applyPatch, type MessagePatch } from './record-patch';

export interface MemoryMessageStoreOptions {
  /** Records kept at most; the oldest written go first (default 100 000). */
  maxRecords?: number;
  /** How long a record lives after its last write (default 24 h). */
  ttlMs?: number;
  maxTrace?: number;
}

/** Message records in process memory, copied in and out so callers never share state with the store. */
export class MemoryMessageStore implements MessageStore {
  private readonly records: BoundedMap<MessageRecord>;
  private readonly ttlMs: number;
  private readonly maxTrace: number;

  constructor(opts: MemoryMessageStoreOptions = {}) {
    this.records = new BoundedMap(opts.maxRecords ?? DEFAULT_MAX_RECORDS);
    this.ttlMs = opts.ttlMs ?? DEFAULT_RECORD_TTL_MS;
    this.maxTrace = opts.maxTrace ?? DEFAULT_MAX_TRACE;
  }

  async put(record: MessageRecord): Promise<void> {
    const copy = structuredClone(record);
    if (copy.trace.length > this.maxTrace) copy.trace.splice(0, copy.trace.length - this.maxTrace);
    this.records.set(record.messageId, copy, this.ttlMs);
  }

  async get(messageId: string): Promise<MessageRecord | undefined> {
    const record = this.records.get(messageId);
    return record && structuredClone(record);
  }

  /** An update for an unknown (or expired) id does nothing: `put` comes first. */
  async update(messageId: string, patch: MessagePatch, trace?: TraceEntry[]): Promise<void> {
    const record = this.records.get(messageId);
    if (!record) return;
    applyPatch(record, structuredClone(patch), trace && structuredClone(trace), this.maxTrace);
    this.records.set(messageId, record, this.ttlMs);
  }

  async close(): Promise<void> {}
}
