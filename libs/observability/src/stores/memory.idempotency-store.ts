import { jsonCopy, type IdempotencyStore } from '@itinera/core';
import { BoundedMap } from './bounded-map';
import { DEFAULT_MAX_RECORDS } from './record-patch';

type Claim = { hash: string; value: unknown };

export interface MemoryIdempotencyStoreOptions {
  /** Keys kept at most; the oldest go first (default 100 000). */
  maxKeys?: number;
}

export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly claims: BoundedMap<Claim>;

  constructor(opts: MemoryIdempotencyStoreOptions = {}) {
    this.claims = new BoundedMap(opts.maxKeys ?? DEFAULT_MAX_RECORDS);
  }

  async claim(key: string, hash: string, value: unknown, ttlMs: number): Promise<Claim | undefined> {
    const earlier = this.claims.get(key);
    if (earlier) return jsonCopy(earlier);
    this.claims.set(key, jsonCopy({ hash, value }), ttlMs);
    return undefined;
  }

  async set(key: string, hash: string, value: unknown, ttlMs: number): Promise<void> {
    this.claims.set(key, jsonCopy({ hash, value }), ttlMs);
  }

  async release(key: string): Promise<void> {
    this.claims.delete(key);
  }

  async get(key: string): Promise<Claim | undefined> {
    const claim = this.claims.get(key);
    return claim && jsonCopy(claim);
  }

  async close(): Promise<void> {}
}
