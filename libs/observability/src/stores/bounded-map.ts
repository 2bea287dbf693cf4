/**
 * A map with a size cap and per-entry expiry, for the memory stores: a long-running
 * process keeps the newest records and forgets the oldest instead of growing without end.
 */
export class BoundedMap<V> {
  private readonly map = new Map<string, { value: V; expiresAt: number }>();

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
    this.map.delete(key);
    this.map.set(key, { value, expiresAt: ttlMs && ttlMs > 0 ? Date.now() + ttlMs : Infinity });
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value;
      if (oldest === undefined) break;
      this.map.delete(oldest);
    }
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  /** Live values, newest first. */
  newestFirst(): V[] {
    const now = Date.now();
    const out: V[] = [];
    for (const entry of this.map.values()) if (entry.expiresAt > now) out.push(entry.value);
    return out.reverse();
  }
}
