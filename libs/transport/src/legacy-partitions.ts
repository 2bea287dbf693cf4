import { Queue } from 'bullmq';
import type { Logger, RedisClient } from '@itinera/core';

/** Versions before the shared queue hashed ordering keys into this many `<queue>.p<i>` queues. */
const LEGACY_PARTITIONS = 16;

/**
 * Jobs left in the partition queues of an older version are read by no worker now: say
 * so once at start, with what to do, instead of leaving them unnoticed. Best effort: a
 * failed look is not worth failing the consumer for.
 */
export async function warnLegacyPartitions(connection: RedisClient, prefixOf: (queue: string) => string, queue: string, logger: Logger): Promise<void> {
  try {
    const counts = await Promise.all(
      Array.from({ length: LEGACY_PARTITIONS }, async (_, i) => {
        const name = `${queue}.p${i}`;
        const q = new Queue(name, { connection, prefix: prefixOf(name) });
        try {
          const c = await q.getJobCounts('wait', 'delayed', 'prioritized', 'active');
          return Object.values(c).reduce((a, b) => a + b, 0);
        } finally {
          await q.close();
        }
      }),
    );
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
