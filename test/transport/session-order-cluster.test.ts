import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobDeferral, parseRedisNodes } from '@itinera/core';
import { BullMqMessageBox } from '@itinera/transport';
import { startRedisCluster, type LocalRedisCluster } from '../support/redis-cluster';
import { waitFor } from '../support/ports';

/**
 * Per-session order on a Redis Cluster: a session's line lives next to its queue's
 * BullMQ keys (one hash tag per queue, or per shard of a sharded queue), so the scripts
 * that read both stay in one slot.
 */
describe('per-session order on a Redis Cluster (BullMQ)', () => {
  let cluster: LocalRedisCluster;
  let box: BullMqMessageBox;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    box = new BullMqMessageBox({
      connection: { clusterNodes: parseRedisNodes(cluster.nodesEnv, 'REDIS_CLUSTER_NODES') },
      worker: { parkMs: 1000 },
      publishTimeoutMs: 5000,
      // Three shards, each its own hash tag: a session's line and jobs stay in its shard's slot.
      queueShards: { 'cluster.order': 3 },
    });
  }, 60_000);
  afterAll(async () => {
    await box?.close();
    await cluster?.stop();
  });

  it('keeps each session in order, a deferral included, while sessions run in parallel', async () => {
    const completed = new Map<string, number[]>();
    const deferred = new Set<string>();
    await box.consume<{ s: string; n: number }>(
      'cluster.order',
      async (job) => {
        const { s, n } = job.data;
        // Each session's third message waits once in the box before it runs.
        if (n === 2 && !deferred.has(s)) {
          deferred.add(s);
          throw new JobDeferral(100);
        }
        completed.set(s, [...(completed.get(s) ?? []), n]);
      },
      { concurrency: 4 },
    );
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        for (let n = 0; n < 6; n++) await box.publish('cluster.order', { s: `s${i}`, n }, { orderingKey: `s${i}` });
      }),
    );
    await waitFor(() => [...completed.values()].reduce((a, c) => a + c.length, 0) === 60, 'every message', 20_000);
    for (let i = 0; i < 10; i++) expect(completed.get(`s${i}`)).toEqual([0, 1, 2, 3, 4, 5]);
  }, 30_000);
});
