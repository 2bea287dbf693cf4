import { silentLogger, type ActivityStore, type Logger, type RedisEndpoint } from '@itinera/core';
import { MemoryActivityStore } from './memory.activity-store';
import { RedisActivityStore } from './redis.activity-store';

export interface ActivityStoreOptions {
  /** Redis URL: the Redis store (its own connection); absent: memory. */
  redisUrl?: string;
  /** Instead of `redisUrl`: any endpoint, e.g. a Redis Cluster's seed nodes. */
  redis?: RedisEndpoint;
  prefix?: string;
  retentionMs?: number;
  maxActivities?: number;
  queryMax?: number;
  timeoutMs?: number;
  logger?: Logger;
}

/** The BAM activity store: Redis on BullMQ deployments, memory on the embedded bus. */
export function createActivityStore(opts: ActivityStoreOptions = {}): ActivityStore {
  const common = { retentionMs: opts.retentionMs, maxActivities: opts.maxActivities, queryMax: opts.queryMax };
  const endpoint = opts.redis ?? opts.redisUrl;
  if (!endpoint) return new MemoryActivityStore(common);
  return new RedisActivityStore({
    redis: endpoint,
    prefix: opts.prefix,
    timeoutMs: opts.timeoutMs ?? 2000,
    logger: opts.logger ?? silentLogger,
    ...common,
  });
}
