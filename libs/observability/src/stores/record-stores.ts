import type { AuditStore, FaultStore, IdempotencyStore, Logger, MessageStore, RedisEndpoint } from '@itinera/core';
import { MemoryAuditStore } from './memory.audit-store';
import { RedisAuditStore } from './redis.audit-store';
import { silentLogger } from '@itinera/core';
import { MemoryFaultStore } from './memory.fault-store';
import { MemoryIdempotencyStore } from './memory.idempotency-store';
import { MemoryMessageStore } from './memory.message-store';
import { RedisFaultStore } from './redis.fault-store';
import { RedisIdempotencyStore } from './redis.idempotency-store';
import { RedisMessageStore } from './redis.message-store';
import { openFailFast } from './redis-client';

export interface RecordStoresOptions {
  /** Redis URL: Redis stores sharing one connection; absent: memory stores. */
  redisUrl?: string;
  /** Instead of `redisUrl`: any endpoint, e.g. a Redis Cluster's seed nodes. */
  redis?: RedisEndpoint;
  prefix?: string;
  /** Message record TTL (default 24 h). */
  recordTtlMs?: number;
  /** Fault TTL (default 30 days). */
  faultTtlMs?: number;
  /** Cap of each memory store, and of the Redis fault index (default 100 000). */
  maxRecords?: number;
  timeoutMs?: number;
  logger?: Logger;
  /** Largest write to a message record (ITINERA_RECORD_MAX_BYTES); larger parts become markers. */
  recordMaxBytes?: number;
  /** Largest fault kept whole (ITINERA_FAULT_MAX_BYTES); past it the envelope body becomes a marker. */
  faultMaxBytes?: number;
  /** Audit entries kept at most (ITINERA_AUDIT_MAX) and for how long (ITINERA_AUDIT_RETENTION_MS). */
  auditMax?: number;
  auditRetentionMs?: number;
}

export interface RecordStores {
  messages: MessageStore;
  faults: FaultStore;
  idempotency: IdempotencyStore;
  /** Who did what on the operator endpoints. */
  audit: AuditStore;
  close(): Promise<void>;
}

export function createRecordStores(opts: RecordStoresOptions = {}): RecordStores {
  const endpoint = opts.redis ?? opts.redisUrl;
  if (!endpoint) {
    const max = opts.maxRecords;
    return {
      messages: new MemoryMessageStore({ maxRecords: max, ttlMs: opts.recordTtlMs, maxRecordBytes: opts.recordMaxBytes }),
      faults: new MemoryFaultStore({ maxFaults: max, ttlMs: opts.faultTtlMs, maxFaultBytes: opts.faultMaxBytes }),
      idempotency: new MemoryIdempotencyStore({ maxKeys: max }),
      audit: new MemoryAuditStore({ maxEntries: opts.auditMax, retentionMs: opts.auditRetentionMs }),
      close: async () => undefined,
    };
  }
  const timeoutMs = opts.timeoutMs ?? 2000;
  const redis = openFailFast(endpoint, timeoutMs, opts.logger ?? silentLogger, 'record stores');
  const base = { redis, prefix: opts.prefix, timeoutMs };
  return {
    messages: new RedisMessageStore({ ...base, ttlMs: opts.recordTtlMs, maxRecordBytes: opts.recordMaxBytes, maxIndexed: opts.maxRecords }),
    faults: new RedisFaultStore({ ...base, ttlMs: opts.faultTtlMs, maxFaults: opts.maxRecords, maxFaultBytes: opts.faultMaxBytes }),
    idempotency: new RedisIdempotencyStore(base),
    audit: new RedisAuditStore({ ...base, maxEntries: opts.auditMax, retentionMs: opts.auditRetentionMs }),
    async close() {
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
}
