import type { IdempotencyStore } from '@itinera/core';
import { RedisScript, StoreConnection, type RedisStoreBase } from './redis-client';

type Claim = { hash: string; value: unknown };

/** First claim wins, atomically: the earlier claim if there is one, else SET NX PX. KEYS: claim. ARGV: json, ttl ms. */
const CLAIM = new RedisScript(`
local earlier = redis.call('GET', KEYS[1])
if earlier then return earlier end
redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
return false
`);

/** Idempotency-Key claims in Redis: `<prefix>:idem:<key>` holds `{hash, value}` as JSON, with the claim's TTL. */
export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly conn: StoreConnection;

  constructor(opts: RedisStoreBase) {
    this.conn = new StoreConnection(opts, 'idempotency store');
  }

  async claim(key: string, hash: string, value: unknown, ttlMs: number): Promise<Claim | undefined> {
    const earlier = await this.conn.exec('idempotency store', (client) =>
      CLAIM.run(client, [this.conn.key('idem', key)], [JSON.stringify({ hash, value }), Math.max(1, Math.round(ttlMs))]),
    );
    return typeof earlier === 'string' ? (JSON.parse(earlier) as Claim) : undefined;
  }

  async set(key: string, hash: string, value: unknown, ttlMs: number): Promise<void> {
    await this.conn.exec('idempotency store', (client) =>
      client.set(this.conn.key('idem', key), JSON.stringify({ hash, value }), 'PX', Math.max(1, Math.round(ttlMs))),
    );
  }

  async release(key: string): Promise<void> {
    await this.conn.exec('idempotency store', (client) => client.del(this.conn.key('idem', key)));
  }

  async get(key: string): Promise<Claim | undefined> {
    const raw = await this.conn.exec('idempotency store', (client) => client.get(this.conn.key('idem', key)));
    return raw ? (JSON.parse(raw) as Claim) : undefined;
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}
