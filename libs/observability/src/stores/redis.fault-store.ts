import type { FaultRecord, FaultStore } from '@itinera/core';
import { atMs } from './memory.fault-store';
import { DEFAULT_FAULT_TTL_MS, DEFAULT_MAX_RECORDS } from './record-patch';
import { StoreConnection, type RedisStoreBase } from './redis-client';
import { DEFAULT_FAULT_MAX_BYTES, capFault, overBudget } from './record-budget';

export interface RedisFaultStoreOptions extends RedisStoreBase {
  /** How long a fault is kept (default 30 days; 0 keeps it until removed). */
  ttlMs?: number;
  /** Faults `list` can reach: the index keeps the newest this many (default 100 000). */
  maxFaults?: number;
  /** Largest fault kept whole; past it the envelope's body (then context) becomes a marker (default 1 MiB). */
  maxFaultBytes?: number;
}

/**
 * Faults in Redis: `<prefix>:fault:<id>` holds the JSON record and the sorted set
 * `<prefix>:faults` indexes ids by `at`. The index keeps the newest `maxFaults` ids;
 * ids whose record expired leave it when `list` meets them.
 */
export class RedisFaultStore implements FaultStore {
  private readonly conn: StoreConnection;
  private readonly ttlMs: number;
  private readonly index: string;
  private readonly maxFaults: number;
  private readonly maxFaultBytes: number;

  constructor(opts: RedisFaultStoreOptions) {
    this.conn = new StoreConnection(opts, 'fault store');
    this.ttlMs = opts.ttlMs ?? DEFAULT_FAULT_TTL_MS;
    this.index = this.conn.key('faults');
    this.maxFaults = opts.maxFaults ?? DEFAULT_MAX_RECORDS;
    this.maxFaultBytes = opts.maxFaultBytes ?? DEFAULT_FAULT_MAX_BYTES;
  }

  async add(fault: FaultRecord): Promise<void> {
    const key = this.conn.key('fault', fault.id);
    let text = JSON.stringify(fault);
    if (overBudget(text, this.maxFaultBytes)) text = JSON.stringify(capFault(fault, this.maxFaultBytes));
    await this.conn.exec('fault store', async (client) => {
      const tx = client.multi();
      if (this.ttlMs > 0) tx.set(key, text, 'PX', this.ttlMs);
      else tx.set(key, text);
      tx.zadd(this.index, atMs(fault) || Date.now(), fault.id);
      tx.zremrangebyrank(this.index, 0, -(this.maxFaults + 1));
      const replies = await tx.exec();
      const failed = replies?.find(([err]) => err);
      if (failed?.[0]) throw failed[0];
    });
  }

  async get(id: string): Promise<FaultRecord | undefined> {
    const raw = await this.conn.exec('fault store', (client) => client.get(this.conn.key('fault', id)));
    return raw ? (JSON.parse(raw) as FaultRecord) : undefined;
  }

  /** Newest first (by `at`). */
  async list(limit = 100): Promise<FaultRecord[]> {
    if (limit <= 0) return [];
    return this.conn.exec('fault store', async (client) => {
      const ids = await client.zrevrange(this.index, 0, limit - 1);
      if (ids.length === 0) return [];
      const raws = await client.mget(ids.map((id) => this.conn.key('fault', id)));
      const gone = ids.filter((_, i) => raws[i] === null);
      if (gone.length) await client.zrem(this.index, ...gone);
      return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as FaultRecord);
    });
  }

  async remove(id: string): Promise<void> {
    await this.conn.exec('fault store', async (client) => {
      await client.multi().del(this.conn.key('fault', id)).zrem(this.index, id).exec();
    });
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}
