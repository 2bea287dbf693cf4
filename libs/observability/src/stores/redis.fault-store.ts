import type { FaultGroupBy, FaultQuery, FaultRecord, FaultStore, Page } from '@itinera/core';
import { countGroups, facetsMatch, facetsOf, type FaultFacets } from './fault-search';
import { decodePlace, encodePlace, walkNewestFirst } from './zset-page';
import { atMs } from './memory.fault-store';
import { DEFAULT_FAULT_TTL_MS, DEFAULT_MAX_RECORDS } from './record-patch';
import { StoreConnection, type RedisStoreBase } from './redis-client';
import { DEFAULT_FAULT_MAX_BYTES, capFault, overBudget } from './record-budget';

/** Index entries a filtered fault list reads per request at most. */
const FAULT_SCAN_BUDGET = 5000;

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
 * ids whose record expired leave it when `list` meets them. The hash `<prefix>:faultfacets`
 * keeps each fault's itinerary, step, code and time (a few dozen bytes), so filters and
 * groups read those instead of whole faults; it is written beside the record (its own
 * command, no transaction across keys) and trimmed with the index.
 */
export class RedisFaultStore implements FaultStore {
  private readonly conn: StoreConnection;
  private readonly ttlMs: number;
  private readonly index: string;
  private readonly maxFaults: number;
  private readonly maxFaultBytes: number;
  private readonly facets: string;

  constructor(opts: RedisFaultStoreOptions) {
    this.conn = new StoreConnection(opts, 'fault store');
    this.ttlMs = opts.ttlMs ?? DEFAULT_FAULT_TTL_MS;
    this.index = this.conn.key('faults');
    this.facets = this.conn.key('faultfacets');
    this.maxFaults = opts.maxFaults ?? DEFAULT_MAX_RECORDS;
    this.maxFaultBytes = opts.maxFaultBytes ?? DEFAULT_FAULT_MAX_BYTES;
  }

  async add(fault: FaultRecord): Promise<void> {
    const key = this.conn.key('fault', fault.id);
    let text = JSON.stringify(fault);
    if (overBudget(text, this.maxFaultBytes)) text = JSON.stringify(capFault(fault, this.maxFaultBytes));
    await this.conn.exec('fault store', async (client) => {
      // The record first, then the index: on a cluster they are in different slots (no transaction across them).
      await (this.ttlMs > 0 ? client.set(key, text, 'PX', this.ttlMs) : client.set(key, text));
      const tx = client.multi();
      tx.zadd(this.index, atMs(fault) || Date.now(), fault.id);
      tx.zrange(this.index, 0, -(this.maxFaults + 1));
      tx.zremrangebyrank(this.index, 0, -(this.maxFaults + 1));
      const replies = await tx.exec();
      const failed = replies?.find(([err]) => err);
      if (failed?.[0]) throw failed[0];
      const trimmed = (replies?.[1]?.[1] as string[] | undefined) ?? [];
      const p = client.pipeline().hset(this.facets, fault.id, JSON.stringify(facetsOf(fault, atMs(fault) || Date.now())));
      if (trimmed.length) p.hdel(this.facets, ...trimmed);
      await p.exec();
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
      const raws = await this.conn.mget(client, ids.map((id) => this.conn.key('fault', id)));
      const gone = ids.filter((_, i) => raws[i] === null);
      if (gone.length) await client.zrem(this.index, ...gone);
      return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as FaultRecord);
    });
  }

  /** Newest first: the index walked a batch at a time, filtered on the facets, whole faults read for the page only. */
  query(q: FaultQuery): Promise<Page<FaultRecord>> {
    return this.conn.exec('fault store', async (client) => {
      const picked: string[] = [];
      // Faults written before facets were kept have none: they show only in an unfiltered list.
      const filtered = q.itinerary !== undefined || q.step !== undefined || q.code !== undefined;
      let nextCursor: string | undefined;
      let scanned = 0;
      walk: for await (const entries of walkNewestFirst(client, this.index, { from: decodePlace(q.cursor), batch: Math.max(100, q.limit * 2) })) {
        // A filter that matches little must not read the whole index in one request: past
        // the budget the page ends short, with a cursor to go on (as message search does).
        if (scanned >= FAULT_SCAN_BUDGET) {
          nextCursor = encodePlace(entries[0]!.at);
          break;
        }
        scanned += entries.length;
        const facets = await client.hmget(this.facets, ...entries.map((e) => e.member));
        for (let i = 0; i < entries.length; i++) {
          const f = this.facetsAt(facets[i], entries[i]!.at.score);
          if (f ? !facetsMatch(f, q) : filtered || facets[i] !== null) continue;
          if (picked.length === q.limit) {
            nextCursor = encodePlace(entries[i]!.at);
            break walk;
          }
          picked.push(entries[i]!.member);
        }
      }
      if (!picked.length) return { items: [] };
      const raws = await this.conn.mget(client, picked.map((id) => this.conn.key('fault', id)));
      const items = raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as FaultRecord);
      return nextCursor ? { items, nextCursor } : { items };
    });
  }

  /** Counted over the facets of the indexed faults (one HMGET per 1000). */
  groups(by: FaultGroupBy): Promise<{ key: string; count: number }[]> {
    return this.conn.exec('fault store', async (client) => {
      const all: FaultFacets[] = [];
      for await (const entries of walkNewestFirst(client, this.index, { batch: 1000 })) {
        const facets = await client.hmget(this.facets, ...entries.map((e) => e.member));
        facets.forEach((raw, i) => {
          const f = this.facetsAt(raw, entries[i]!.at.score);
          if (f) all.push(f);
        });
      }
      return countGroups(all, by);
    });
  }

  /** The facets of a fault, unless it is past its retention (its record is gone too). */
  private facetsAt(raw: string | null | undefined, atMs: number): FaultFacets | undefined {
    if (!raw) return undefined;
    if (this.ttlMs > 0 && atMs < Date.now() - this.ttlMs) return undefined;
    return JSON.parse(raw) as FaultFacets;
  }

  async remove(id: string): Promise<void> {
    await this.conn.exec('fault store', async (client) => {
      await Promise.all([client.del(this.conn.key('fault', id)), client.zrem(this.index, id), client.hdel(this.facets, id)]);
    });
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}
