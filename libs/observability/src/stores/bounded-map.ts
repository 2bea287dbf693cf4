import { WriteOrder } from '@itinera/core';

interface Entry<V> {
  value: V;
  expiresAt: number;
  /** Number of the entry's last write in `order`. */
  seq: number;
}

/**
 * A map with a size cap and per-entry expiry, for the memory stores: a long-running
 * process keeps the newest records and forgets the oldest instead of growing without end.
 * Writes and evictions are O(1) (see WriteOrder for why a plain Map is not).
 */
export class BoundedMap<V> {
  private readonly map = new Map<string, Entry<V>>();
  private readonly order = new WriteOrder();
  private readonly isCurrent = (key: string, seq: number) => this.map.get(key)?.seq === seq;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.map.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Insert or replace; a written entry becomes the newest. `ttlMs` 0 or absent keeps it until evicted. */
  set(key: string, value: V, ttlMs?: number): void {
    const expiresAt = ttlMs && ttlMs > 0 ? Date.now() + ttlMs : Infinity;
    const seq = this.order.wrote(key);
    const entry = this.map.get(key);
    if (entry) {
      // Rewritten in place: the map's own order no longer matters, `seq` says which write is newest.
      entry.value = value;
      entry.expiresAt = expiresAt;
      entry.seq = seq;
    } else {
      this.map.set(key, { value, expiresAt, seq });
    }
    while (this.map.size > this.capacity) {
      const oldest = this.order.oldest(this.isCurrent);
      if (oldest === undefined) break;
      this.map.delete(oldest);
    }
    this.order.prune(this.map.size, this.isCurrent);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  /** Live values, newest (last written) first. */
  newestFirst(): V[] {
    const now = Date.now();
    const live: Entry<V>[] = [];
    for (const entry of this.map.values()) if (entry.expiresAt > now) live.push(entry);
    return live.sort((a, b) => b.seq - a.seq).map((e) => e.value);
  }
}
