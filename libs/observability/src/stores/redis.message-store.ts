import type { MessageRecord, MessageStore, TraceEntry } from '@itinera/core';
import { DEFAULT_MAX_TRACE, DEFAULT_RECORD_TTL_MS, applyPatch, type MessagePatch } from './record-patch';
import { StoreConnection, type RedisStoreBase } from './redis-client';

export interface RedisMessageStoreOptions extends RedisStoreBase {
  /** How long a record lives after its last write (default 24 h). */
  ttlMs?: number;
  maxTrace?: number;
}

/**
 * Message records in Redis, written with as few commands as the semantics allow (every
 * message writes one): `<prefix>:msg:<id>` holds the record as put (one JSON string,
 * `SET … PX`), and `<prefix>:msg:<id>:log` a list of the updates since (`RPUSH`). A read
 * takes both in one round trip and applies the updates in order with the same
 * `applyPatch` the memory store uses. An update of an unknown id leaves only a log that
 * nobody reads and that expires; `put` removes the log of an earlier life of the record.
 * Commands per message: put 2, each update 2, read 2.
 */
export class RedisMessageStore implements MessageStore {
  private readonly conn: StoreConnection;
  private readonly ttlMs: number;
  private readonly maxTrace: number;

  constructor(opts: RedisMessageStoreOptions) {
    this.conn = new StoreConnection(opts, 'message store');
    this.ttlMs = opts.ttlMs ?? DEFAULT_RECORD_TTL_MS;
    this.maxTrace = opts.maxTrace ?? DEFAULT_MAX_TRACE;
  }

  async put(record: MessageRecord): Promise<void> {
    const [key, log] = this.keys(record.messageId);
    const stored = record.trace.length > this.maxTrace ? { ...record, trace: record.trace.slice(-this.maxTrace) } : record;
    await this.conn.exec('message store', async (client) => {
      // A pipeline, not MULTI: nothing updates a record before its put resolves (the envelope is published after).
      await execOrThrow(client.pipeline().set(key, JSON.stringify(stored), 'PX', this.ttlMs).del(log));
    });
  }

  async get(messageId: string): Promise<MessageRecord | undefined> {
    const [key, log] = this.keys(messageId);
    const [raw, updates] = await this.conn.exec('message store', async (client) => {
      const replies = await client.pipeline().get(key).lrange(log, 0, -1).exec();
      return [replies?.[0]?.[1] as string | null, (replies?.[1]?.[1] ?? []) as string[]] as const;
    });
    if (!raw) return undefined;
    const record = JSON.parse(raw) as MessageRecord;
    for (const u of updates) {
      const { patch, trace } = JSON.parse(u) as { patch: MessagePatch; trace?: TraceEntry[] };
      applyPatch(record, patch, trace, this.maxTrace);
    }
    return record;
  }

  async update(messageId: string, patch: MessagePatch, trace?: TraceEntry[]): Promise<void> {
    const [, log] = this.keys(messageId);
    const entry = JSON.stringify({ patch: patch.updatedAt === undefined ? { ...patch, updatedAt: new Date().toISOString() } : patch, ...(trace?.length ? { trace } : {}) });
    await this.conn.exec('message store', async (client) => {
      const replies = await client.pipeline().rpush(log, entry).pexpire(log, this.ttlMs).exec();
      const failed = replies?.find(([err]) => err);
      if (failed) throw failed[0];
    });
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  private keys(messageId: string): [string, string] {
    const hash = this.conn.key('msg', messageId);
    return [hash, `${hash}:log`];
  }
}

async function execOrThrow(tx: { exec(): Promise<[Error | null, unknown][] | null> }): Promise<void> {
  const replies = await tx.exec();
  const failed = replies?.find(([err]) => err);
  if (failed?.[0]) throw failed[0];
}
