import type { Logger, RedisClient } from '@itinera/core';
import { MAX_QUEUE_SHARDS, shardName } from './queue-shards';
import { unfinishedJobs } from './queue-jobs';

/**
 * Jobs in shards at or beyond `shards` (left by a deployment that ran with more) are read
 * by no worker now: say so once at start, with what to do. Best effort, like the legacy
 * partition check: a failed look is not worth failing the consumer for.
 */
export async function warnStrayShards(
  connection: RedisClient,
  prefixOf: (queue: string) => string,
  queue: string,
  shards: number,
  logger: Logger,
): Promise<void> {
  try {
    const beyond = Array.from({ length: MAX_QUEUE_SHARDS - shards }, (_, i) => shardName(queue, shards + i));
    const counts = await unfinishedJobs(connection, prefixOf, beyond);
    const left = counts.reduce((a, b) => a + b, 0);
    if (left > 0) {
      const where = beyond.filter((_, i) => counts[i]! > 0);
      logger.warn(
        { queue, shards, jobs: left, queues: where, code: 'QUEUE_SHARD_JOBS' },
        `${left} jobs wait in ${where.join(', ')}, beyond the ${shards} shard(s) of ${queue} this process reads: run workers with the former ITINERA_WORK_QUEUE_SHARDS until those queues are empty, then change it`,
      );
    }
  } catch (err) {
    logger.debug({ queue, err: (err as Error).message }, 'could not look for jobs in shards beyond the configured ones');
  }
}
