import { randomBytes } from 'node:crypto';
import type { AuditRecord, AuditStore, Page } from '@itinera/core';
import { epochMs } from './message-search';
import { StoreConnection, type RedisStoreBase } from './redis-client';
import { DEFAULT_AUDIT_RETENTION_MS, DEFAULT_MAX_AUDIT } from './audit-limits';
import type { AuditStoreOptions } from './memory.audit-store';
import { decodePlace, encodePlace, walkNewestFirst } from './zset-page';

export type RedisAuditStoreOptions = RedisStoreBase & AuditStoreOptions;

/**
 * The audit trail in one Redis sorted set, `<prefix>:audit`: each entry is a member
 * (its JSON after a random tag, so two equal entries stay two) scored by its time.
 * Each write trims the set by retention and count and moves its expiry: one key,
 * one pipeline, bounded whatever the rate of operator actions.
 */
export class RedisAuditStore implements AuditStore {
  private readonly conn: StoreConnection;
  private readonly key: string;
  private readonly max: number;
  private readonly retentionMs: number;

  constructor(opts: RedisAuditStoreOptions) {
    this.conn = new StoreConnection(opts, 'audit store');
    this.key = this.conn.key('audit');
    this.max = opts.maxEntries ?? DEFAULT_MAX_AUDIT;
    this.retentionMs = opts.retentionMs ?? DEFAULT_AUDIT_RETENTION_MS;
  }

  async record(entry: AuditRecord): Promise<void> {
    const member = `${randomBytes(6).toString('base64url')} ${JSON.stringify(entry)}`;
    await this.conn.exec('audit store', async (client) => {
      const replies = await client
        .pipeline()
        .zadd(this.key, epochMs(entry.at) || Date.now(), member)
        .zremrangebyscore(this.key, '-inf', Date.now() - this.retentionMs)
        .zremrangebyrank(this.key, 0, -(this.max + 1))
        .pexpire(this.key, this.retentionMs)
        .exec();
      const failed = replies?.find(([err]) => err);
      if (failed?.[0]) throw failed[0];
    });
  }

  list(q: { limit: number; cursor?: string }): Promise<Page<AuditRecord>> {
    return this.conn.exec('audit store', async (client) => {
      const items: AuditRecord[] = [];
      const since = Date.now() - this.retentionMs;
      for await (const entries of walkNewestFirst(client, this.key, { from: decodePlace(q.cursor), since, batch: q.limit + 1 })) {
        for (const e of entries) {
          if (items.length === q.limit) return { items, nextCursor: encodePlace(e.at) };
          items.push(JSON.parse(e.member.slice(e.member.indexOf(' ') + 1)) as AuditRecord);
        }
      }
      return { items };
    });
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}
