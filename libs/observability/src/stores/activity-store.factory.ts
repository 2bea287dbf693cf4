import { silentLogger, type ActivityStore, type Logger } from '@itinera/core';
import { MemoryActivityStore } from './memory.activity-store';
import { RedisActivityStore } from './redis.activity-store';

export interface ActivityStoreOptions {
  /** Redis URL: the Redis store (its own connection); absent: memory. */
  redisUrl?: string;
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
  if (!opts.redisUrl) return new MemoryActivityStore(common);
  return new RedisActivityStore({
    redis: opts.redisUrl,
    prefix: opts.prefix,
    timeoutMs: opts.timeoutMs ?? 2000,
    logger: opts.logger ?? silentLogger,
    ...common,
  });
}
