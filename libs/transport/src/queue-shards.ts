import { RedisKeyspace } from '@itinera/core';
import { invalidOption } from './transport-errors';

/** Shards a logical queue may have: enough for 16+ masters at 4× each, few enough to look at all at start. */
export const MAX_QUEUE_SHARDS = 64;

/**
 * The BullMQ queues one logical queue is split into. Shard 0 keeps the logical name, so
 * one shard is the queue as it always was (an upgrade finds its jobs); shard i is
 * `<queue>.s<i>`. On a cluster each name is its own hash tag (RedisKeyspace.queuePrefix),
 * so the shards, and the ordering lines inside them, spread over the masters.
 */
export function shardNames(queue: string, shards: number): string[] {
  return Array.from({ length: shards }, (_, i) => shardName(queue, i));
}

export function shardName(queue: string, shard: number): string {
  return shard === 0 ? queue : `${queue}.s${shard}`;
}

/**
 * The shard of a message: by its ordering key (a session's line and all its jobs stay in
 * one shard, so its order holds), else by its id (a retried publish lands where the first
 * did, so the jobId still dedupes). FNV-1a: the same in every process and version.
 */
export function shardOf(orderingKey: string | undefined, jobId: string, shards: number): number {
  if (shards <= 1) return 0;
  return RedisKeyspace.bucketOf(orderingKey ?? jobId, shards);
}

/**
 * Each shard's worker takes `ceil(concurrency / shards)` jobs at once, and one shared
 * cap of `concurrency` gates the handlers. Dividing keeps the jobs a process holds near
 * its budget (at most concurrency + shards − 1, instead of shards × concurrency locked
 * jobs that other processes could have run); the shared cap keeps the promise that no
 * more than `concurrency` handlers run at once.
 */
export function perShardConcurrency(concurrency: number, shards: number): number {
  return Math.max(1, Math.ceil(concurrency / shards));
}

export function assertQueueShards(shards: Readonly<Record<string, number>>): void {
  for (const [queue, n] of Object.entries(shards)) {
    if (!Number.isInteger(n) || n < 1 || n > MAX_QUEUE_SHARDS) {
      throw invalidOption(`queueShards["${queue}"] must be an integer from 1 to ${MAX_QUEUE_SHARDS} (got ${String(n)}).`);
    }
  }
}
