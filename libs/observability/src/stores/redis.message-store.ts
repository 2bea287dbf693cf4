import type { MessageRecord, MessageStore, TraceEntry } from '@itinera/core';
import { DEFAULT_MAX_TRACE, DEFAULT_RECORD_TTL_MS, type MessagePatch } from './record-patch';
import { RedisScript, StoreConnection, type RedisStoreBase } from './redis-client';

export interface RedisMessageStoreOptions extends RedisStoreBase {
  /** How long a record lives after its last write (default 24 h). */
  ttlMs?: number;
  maxTrace?: number;
}

/** Context properties are hash fields of their own, so an update merges them without reading first. */
const CTX = 'ctx.';

/**
 * Update in one round trip, atomically: set fields, append trace entries, refresh the TTL;
 * nothing at all for an unknown (or expired) record.
 * KEYS: record hash, trace list. ARGV: ttl ms, max trace, 2n, n field/value pairs, trace entries.
 */
const UPDATE = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = tonumber(ARGV[3])
-- A late 'running' never overwrites a final status (see applyPatch).
if n > 0 and ARGV[5] == '"running"' and ARGV[4] == 'status' then
  local st = redis.call('HGET', KEYS[1], 'status')
  if st == '"completed"' or st == '"faulted"' then return 0 end
end
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 4, 3 + n)) end
if #ARGV > 3 + n then
  redis.call('RPUSH', KEYS[2], unpack(ARGV, 4 + n, #ARGV))
  redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
`);

/**
 * Message records in Redis: `<prefix>:msg:<id>` is a hash (one JSON value per field,
 * `ctx.<name>` per context property) and `<prefix>:msg:<id>:trace` a list of trace entries.
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
    const [hash, list] = this.keys(record.messageId);
    const { trace, context, ...fields } = record;
    const values: string[] = [];
    for (const [field, value] of Object.entries(fields)) if (value !== undefined) values.push(field, JSON.stringify(value));
    for (const [name, value] of Object.entries(context ?? {})) if (value !== undefined) values.push(CTX + name, JSON.stringify(value));
    if (context) values.push('context', '{}');
    await this.conn.exec('message store', async (client) => {
      const tx = client
        .multi()
        .del(hash, list)
        .hset(hash, ...values)
        .pexpire(hash, this.ttlMs);
      const entries = trace.slice(-this.maxTrace).map((t) => JSON.stringify(t));
      if (entries.length) tx.rpush(list, ...entries).pexpire(list, this.ttlMs);
      await execOrThrow(tx);
    });
  }

  async get(messageId: string): Promise<MessageRecord | undefined> {
    const [hash, list] = this.keys(messageId);
    const [fields, entries] = await this.conn.exec('message store', async (client) => {
      const replies = await client.multi().hgetall(hash).lrange(list, 0, -1).exec();
      return [replies?.[0]?.[1] as Record<string, string>, (replies?.[1]?.[1] ?? []) as string[]] as const;
    });
    if (!fields || Object.keys(fields).length === 0) return undefined;
    const record: Record<string, unknown> = {};
    let context: Record<string, unknown> | undefined;
    for (const [field, raw] of Object.entries(fields)) {
      if (field === 'context') context ??= {};
      else if (field.startsWith(CTX)) (context ??= {})[field.slice(CTX.length)] = JSON.parse(raw);
      else record[field] = JSON.parse(raw);
    }
    if (context) record.context = context;
    record.trace = entries.map((e) => JSON.parse(e) as TraceEntry);
    return record as unknown as MessageRecord;
  }

  async update(messageId: string, patch: MessagePatch, trace?: TraceEntry[]): Promise<void> {
    const values: string[] = [];
    // status first: the script looks at ARGV[4..5] to keep a final status final.
    if (patch.status !== undefined) values.push('status', JSON.stringify(patch.status));
    for (const [field, value] of Object.entries(patch)) {
      if (value === undefined || field === 'status') continue;
      if (field === 'context') {
        for (const [name, v] of Object.entries(value as Record<string, unknown>)) if (v !== undefined) values.push(CTX + name, JSON.stringify(v));
        values.push('context', '{}');
      } else values.push(field, JSON.stringify(value));
    }
    if (patch.updatedAt === undefined) values.push('updatedAt', JSON.stringify(new Date().toISOString()));
    const entries = (trace ?? []).slice(-this.maxTrace).map((t) => JSON.stringify(t));
    await this.conn.exec('message store', (client) =>
      UPDATE.run(client, this.keys(messageId), [this.ttlMs, this.maxTrace, values.length, ...values, ...entries]),
    );
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  private keys(messageId: string): [string, string] {
    const hash = this.conn.key('msg', messageId);
    return [hash, `${hash}:trace`];
  }
}

async function execOrThrow(tx: { exec(): Promise<[Error | null, unknown][] | null> }): Promise<void> {
  const replies = await tx.exec();
  const failed = replies?.find(([err]) => err);
  if (failed?.[0]) throw failed[0];
}
