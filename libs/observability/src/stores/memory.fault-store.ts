import { jsonCopy, type FaultGroupBy, type FaultQuery, type FaultRecord, type FaultStore, type Page } from '@itinera/core';
import { countGroups, facetsMatch, facetsOf } from './fault-search';
import { decodePlace, encodePlace, type ZPlace } from './zset-page';
import { BoundedMap } from './bounded-map';
import { DEFAULT_FAULT_TTL_MS, DEFAULT_MAX_RECORDS } from './record-patch';
import { DEFAULT_FAULT_MAX_BYTES, capFault, overBudget } from './record-budget';

export interface MemoryFaultStoreOptions {
  /** Faults kept at most; the oldest go first (default 100 000). */
  maxFaults?: number;
  /** How long a fault is kept (default 30 days; 0 keeps it until evicted by the cap). */
  ttlMs?: number;
  /** Largest fault kept whole; past it the envelope's body (then context) becomes a marker (default 1 MiB). */
  maxFaultBytes?: number;
}

export class MemoryFaultStore implements FaultStore {
  private readonly faults: BoundedMap<FaultRecord>;
  private readonly ttlMs: number;
  private readonly maxFaultBytes: number;

  constructor(opts: MemoryFaultStoreOptions = {}) {
    this.faults = new BoundedMap(opts.maxFaults ?? DEFAULT_MAX_RECORDS);
    this.ttlMs = opts.ttlMs ?? DEFAULT_FAULT_TTL_MS;
    this.maxFaultBytes = opts.maxFaultBytes ?? DEFAULT_FAULT_MAX_BYTES;
  }

  async add(fault: FaultRecord): Promise<void> {
    const copy = jsonCopy(fault);
    this.faults.set(fault.id, overBudget(JSON.stringify(copy), this.maxFaultBytes) ? capFault(copy, this.maxFaultBytes) : copy, this.ttlMs);
  }

  async get(id: string): Promise<FaultRecord | undefined> {
    const fault = this.faults.get(id);
    return fault && jsonCopy(fault);
  }

  /** Newest first (by `at`). */
  async list(limit = 100): Promise<FaultRecord[]> {
    return this.faults
      .newestFirst()
      .sort((a, b) => atMs(b) - atMs(a))
      .slice(0, Math.max(0, limit))
      .map((f) => jsonCopy(f));
  }

  /** Newest first, with the same cursors as the Redis store (the time, and how many of that time came before). */
  async query(q: FaultQuery): Promise<Page<FaultRecord>> {
    const from = decodePlace(q.cursor);
    const items: FaultRecord[] = [];
    for (const { fault, at } of this.placed()) {
      if (from && (at.score > from.score || (at.score === from.score && at.skip < from.skip))) continue;
      if (!facetsMatch(facetsOf(fault, at.score), q)) continue;
      if (items.length === q.limit) return { items, nextCursor: encodePlace(at) };
      items.push(jsonCopy(fault));
    }
    return { items };
  }

  async groups(by: FaultGroupBy): Promise<{ key: string; count: number }[]> {
    return countGroups(
      this.faults.newestFirst().map((f) => facetsOf(f, atMs(f))),
      by,
    );
  }

  /** Every live fault newest first, with its place in that order. */
  private *placed(): Generator<{ fault: FaultRecord; at: ZPlace }> {
    const sorted = this.faults.newestFirst().sort((a, b) => atMs(b) - atMs(a));
    let score = NaN;
    let skip = 0;
    for (const fault of sorted) {
      const s = atMs(fault);
      if (s !== score) {
        score = s;
        skip = 0;
      }
      yield { fault, at: { score: s, skip: skip++ } };
    }
  }

  async remove(id: string): Promise<void> {
    this.faults.delete(id);
  }

  async close(): Promise<void> {}
}

export function atMs(fault: FaultRecord): number {
  const t = Date.parse(fault.at);
  return Number.isNaN(t) ? 0 : t;
}
