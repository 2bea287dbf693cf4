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

/** One BullMQ queue's counts for queueStats; `oldestAt` is Infinity when none waits. */
export async function queueCounts(q: Queue): Promise<{ waiting: number; active: number; delayed: number; oldestAt: number }> {
  const [counts, oldest] = await Promise.all([q.getJobCounts('wait', 'active', 'delayed', 'prioritized'), q.getJobs(['wait'], 0, 0, true)]);
  return {
    waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0),
    active: counts.active ?? 0,
    delayed: counts.delayed ?? 0,
    oldestAt: oldest[0]?.timestamp ?? Infinity,
  };
}
