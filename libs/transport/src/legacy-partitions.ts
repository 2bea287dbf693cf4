import type { Logger, RedisClient } from '@itinera/core';
import { unfinishedJobs } from './queue-jobs';

/** Versions before the shared queue hashed ordering keys into this many `<queue>.p<i>` queues. */
const LEGACY_PARTITIONS = 16;

/**
 * Jobs left in the partition queues of an older version are read by no worker now: say
 * so once at start, with what to do, instead of leaving them unnoticed. Best effort: a
 * failed look is not worth failing the consumer for.
 */
export async function warnLegacyPartitions(connection: RedisClient, prefixOf: (queue: string) => string, queue: string, logger: Logger): Promise<void> {
  try {
    const names = Array.from({ length: LEGACY_PARTITIONS }, (_, i) => `${queue}.p${i}`);
    const counts = await unfinishedJobs(connection, prefixOf, names);
    const left = counts.reduce((a, b) => a + b, 0);
    if (left > 0) {
      logger.warn(
        { queue, jobs: left, code: 'LEGACY_PARTITION_JOBS' },
        `${left} jobs wait in the partition queues ${queue}.p0…p${LEGACY_PARTITIONS - 1} of an older version, which no worker of this version reads: run a worker of that version until they are empty`,
      );
    }
  } catch (err) {
    logger.debug({ queue, err: (err as Error).message }, 'could not look for jobs in legacy partition queues');
  }
}
