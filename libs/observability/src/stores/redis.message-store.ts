import { isoNow, type MessageQuery, type MessageRecord, type MessageStore, type MessageSummary, type Page, type TraceEntry } from '@itinera/core';
import { DEFAULT_MAX_RECORDS, DEFAULT_MAX_TRACE, DEFAULT_RECORD_TTL_MS, applyPatch, type MessagePatch } from './record-patch';
import { StoreConnection, type RedisStoreBase } from './redis-client';
import { DEFAULT_RECORD_MAX_BYTES, capRecord, capUpdate, overBudget } from './record-budget';
import { RedisMessageIndex, type MessageIndexKind } from './redis.message-index';

export interface RedisMessageStoreOptions extends RedisStoreBase {
  /** How long a record lives after its last write (default 24 h). */
  ttlMs?: number;
  maxTrace?: number;
  /** Largest write to a record (the record as put, each update); larger parts become markers (default 64 KiB). */
  maxRecordBytes?: number;
  /** Entries each search index keeps at most, the newest (default 100 000). */
  maxIndexed?: number;
}

/**
 * Message records in Redis, written with as few commands as the semantics allow (every
 * message writes one): `<prefix>:msg:<id>` is a string of newline-separated JSON
 * documents, the record as put (`SET … PX`, which also drops any earlier life of the
 * record) followed by each update since (`APPEND`, which keeps the TTL). A read (`GET`)
 * applies the updates in order with the same `applyPatch` the memory store uses. JSON
 * never holds a raw newline, so the lines split cleanly. Commands per message: put 1,
 * each update 1, read 1 (there were 7, 7 and 2 with a hash and a list).
 *
 * An update must follow its put (the engine publishes an envelope only after putting
 * its record); one for an unknown or expired record is removed again at once, since
 * APPEND would leave a key without a TTL (a second command, on that rare path only).
 */
export class RedisMessageStore implements MessageStore {
  private readonly conn: StoreConnection;
  private readonly ttlMs: number;
  private readonly maxTrace: number;
  private readonly maxRecordBytes: number;
  private readonly index: RedisMessageIndex;

  constructor(opts: RedisMessageStoreOptions) {
    this.conn = new StoreConnection(opts, 'message store');
    this.ttlMs = opts.ttlMs ?? DEFAULT_RECORD_TTL_MS;
    this.maxTrace = opts.maxTrace ?? DEFAULT_MAX_TRACE;
    this.maxRecordBytes = opts.maxRecordBytes ?? DEFAULT_RECORD_MAX_BYTES;
    this.index = new RedisMessageIndex({
      key: (kind, value) => this.indexKey(kind, value),
      recordKey: (id) => this.key(id),
      mget: (client, keys) => this.conn.mget(client, keys),
      ttlMs: this.ttlMs,
      maxEntries: opts.maxIndexed ?? DEFAULT_MAX_RECORDS,
      parse: (raw) => this.parse(raw),
    });
  }

  async put(record: MessageRecord): Promise<void> {
    const stored = record.trace.length > this.maxTrace ? { ...record, trace: record.trace.slice(-this.maxTrace) } : record;
    let text = JSON.stringify(stored);
    if (overBudget(text, this.maxRecordBytes)) text = JSON.stringify(capRecord(stored, this.maxRecordBytes));
    await this.conn.exec('message store', async (client) => {
      // The record and its index entries in one round trip (each command names one key).
      await Promise.all([client.set(this.key(record.messageId), text, 'PX', this.ttlMs), ...this.index.onPut(client, record)]);
    });
  }

  async get(messageId: string): Promise<MessageRecord | undefined> {
    return this.parse(await this.conn.exec('message store', (client) => client.get(this.key(messageId))));
  }

  /** Newest accepted first, through the index the query narrows most. */
  search(query: MessageQuery): Promise<Page<MessageSummary>> {
    return this.conn.exec('message store', (client) => this.index.search(client, query));
  }

  private parse(raw: string | null): MessageRecord | undefined {
    if (!raw) return undefined;
    const lines = raw.split('\n');
    // Updates without a put before them (an unknown id) are not a record.
    if (!lines[0]) return undefined;
    const record = JSON.parse(lines[0]) as MessageRecord;
    for (let i = 1; i < lines.length; i++) {
      if (!lines[i]) continue;
      const { patch, trace } = JSON.parse(lines[i]) as { patch: MessagePatch; trace?: TraceEntry[] };
      applyPatch(record, patch, trace, this.maxTrace);
    }
    return record;
  }

  async update(messageId: string, patch: MessagePatch, trace?: TraceEntry[]): Promise<void> {
    const stamped = patch.updatedAt === undefined ? { ...patch, updatedAt: isoNow() } : patch;
    let entry = JSON.stringify({ patch: stamped, ...(trace?.length ? { trace } : {}) });
    if (overBudget(entry, this.maxRecordBytes)) entry = JSON.stringify(capUpdate(stamped, trace, this.maxRecordBytes));
    const line = '\n' + entry;
    const key = this.key(messageId);
    await this.conn.exec('message store', async (client) => {
      // APPEND answers the new length: the line's own length means there was no record
      // (unknown or expired id), and the key it just made has no TTL, so it goes.
      if ((await client.append(key, line)) === Buffer.byteLength(line)) await client.del(key);
    });
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  private key(messageId: string): string {
    return this.conn.key('msg', messageId);
  }

  /** The one name of every search index key (`<prefix>:msgidx:<kind>[:<value>]`). */
  private indexKey(kind: MessageIndexKind, value?: string): string {
    return value === undefined ? this.conn.key('msgidx', kind) : this.conn.key('msgidx', kind, value);
  }
}
