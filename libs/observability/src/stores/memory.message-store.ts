import { isoNow, type MessageQuery, type MessageRecord, type MessageStore, type MessageSummary, type Page, type TraceEntry } from '@itinera/core';
import { MemoryMessageIndex } from './memory.message-index';
import { DEFAULT_MAX_RECORDS, DEFAULT_MAX_TRACE, DEFAULT_RECORD_TTL_MS, applyPatch, type MessagePatch } from './record-patch';
import { TextRing } from './text-ring';
import { DEFAULT_RECORD_MAX_BYTES, capRecord, capUpdate, overBudget } from './record-budget';

export interface MemoryMessageStoreOptions {
  /** Records kept at most; the oldest accepted go first (default 100 000). */
  maxRecords?: number;
  /** Bytes of record text kept at most (default 2 KB per record); the oldest go first. */
  maxBytes?: number;
  /** How long a record lives after its last write (default 24 h). */
  ttlMs?: number;
  maxTrace?: number;
  /** Largest write to a record (the record as put, each update); larger parts become markers (default 64 KiB). */
  maxRecordBytes?: number;
}

/** Record text budgeted per record when no byte limit is given. */
const BYTES_PER_RECORD = 2048;

/**
 * Message records in process memory, laid out as the Redis store lays them out: the
 * record as put (JSON) and the updates since, applied in order on read. Writes are
 * one serialisation each, and no caller ever shares state with the store.
 *
 * The text lives off the JavaScript heap, in a TextRing: kept as strings in a Map,
 * the last 10 000 records cost the garbage collector about 6 µs per message (each one
 * survives into the old generation, which then fills and is marked over and over).
 */
export class MemoryMessageStore implements MessageStore {
  private readonly records: TextRing;
  private readonly ttlMs: number;
  private readonly maxTrace: number;
  private readonly maxRecordBytes: number;
  private readonly index: MemoryMessageIndex;
  private readonly alive = (id: string) => this.records.has(id);

  constructor(opts: MemoryMessageStoreOptions = {}) {
    const maxRecords = opts.maxRecords ?? DEFAULT_MAX_RECORDS;
    this.records = new TextRing(maxRecords, opts.maxBytes ?? maxRecords * BYTES_PER_RECORD);
    this.index = new MemoryMessageIndex(maxRecords);
    this.ttlMs = opts.ttlMs ?? DEFAULT_RECORD_TTL_MS;
    this.maxTrace = opts.maxTrace ?? DEFAULT_MAX_TRACE;
    this.maxRecordBytes = opts.maxRecordBytes ?? DEFAULT_RECORD_MAX_BYTES;
  }

  async put(record: MessageRecord): Promise<void> {
    const stored = record.trace.length > this.maxTrace ? { ...record, trace: record.trace.slice(-this.maxTrace) } : record;
    let text = JSON.stringify(stored);
    // A 50 MB reply must not take the ring (or the heap) with it: the big parts become markers.
    if (overBudget(text, this.maxRecordBytes)) text = JSON.stringify(capRecord(stored, this.maxRecordBytes));
    const expiresAt = this.expiry();
    this.records.set(record.messageId, text, expiresAt);
    this.index.put(record, expiresAt);
  }

  async get(messageId: string): Promise<MessageRecord | undefined> {
    const segments = this.records.get(messageId);
    if (!segments) return undefined;
    const record = JSON.parse(segments[0]!) as MessageRecord;
    for (let i = 1; i < segments.length; i++) {
      const { patch, trace } = JSON.parse(segments[i]!) as { patch: MessagePatch; trace?: TraceEntry[] };
      applyPatch(record, patch, trace, this.maxTrace);
    }
    return record;
  }

  /** An update for an unknown (or expired) id does nothing: `put` comes first. */
  async update(messageId: string, patch: MessagePatch, trace?: TraceEntry[]): Promise<void> {
    const stamped = patch.updatedAt === undefined ? { ...patch, updatedAt: isoNow() } : patch;
    let text = JSON.stringify(trace?.length ? { patch: stamped, trace } : { patch: stamped });
    if (overBudget(text, this.maxRecordBytes)) text = JSON.stringify(capUpdate(stamped, trace, this.maxRecordBytes));
    const expiresAt = this.expiry();
    if (this.records.append(messageId, text, expiresAt)) this.index.update(messageId, patch.status, stamped.updatedAt!, expiresAt);
  }

  /** Newest put first; the index narrows, the TextRing says whether the record is still kept. */
  async search(query: MessageQuery): Promise<Page<MessageSummary>> {
    return this.index.search(query, this.alive);
  }

  async close(): Promise<void> {}

  private expiry(): number {
    return this.ttlMs > 0 ? Date.now() + this.ttlMs : Infinity;
  }
}
