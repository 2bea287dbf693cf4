import { Queue } from 'bullmq';
import type { RedisClient } from '@itinera/core';

/** Jobs not yet finished (waiting, delayed, active) in each named queue; for the start-up checks. */
export async function unfinishedJobs(connection: RedisClient, prefixOf: (queue: string) => string, names: readonly string[]): Promise<number[]> {
  return Promise.all(
    names.map(async (name) => {
      const q = new Queue(name, { connection, prefix: prefixOf(name) });
      try {
        const c = await q.getJobCounts('wait', 'delayed', 'prioritized', 'active');
        return Object.values(c).reduce((a, b) => a + b, 0);
      } finally {
        await q.close();
      }
    }),
  );
}
