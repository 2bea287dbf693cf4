import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '@itinera/core';
import { BullMqMessageBox } from '@itinera/transport';
import { startRedis, type RedisServer } from '../support/redis-server';
import { sleep, waitFor } from '../support/ports';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis({ appendonly: false });
});
afterAll(async () => {
  await redis?.stop();
});

/** A sharded queue: one logical queue over several BullMQ queues, read by one consume. */
describe('a sharded queue on the BullMQ box', () => {
  it('spreads sessions over the shards, keeps each in order, runs no more than the concurrency, counts every shard', async () => {
    const q = `shards-${process.pid}`;
    const box = new BullMqMessageBox({ connection: redis.url, worker: { parkMs: 1000 }, publishTimeoutMs: 5000, queueShards: { [q]: 4 } });
    try {
      const done = new Map<string, number[]>();
      let running = 0;
      let peak = 0;
      await box.consume<{ s: string; n: number }>(
        q,
        async (job) => {
          expect(job.queue).toBe(q);
          running++;
          peak = Math.max(peak, running);
          await sleep(5);
          running--;
          done.set(job.data.s, [...(done.get(job.data.s) ?? []), job.data.n]);
        },
        { concurrency: 3 },
      );
      for (let n = 0; n < 5; n++) {
        await Promise.all(Array.from({ length: 12 }, (_, i) => box.publish(q, { s: `s${i}`, n }, { orderingKey: `s${i}` })));
      }
      for (let i = 0; i < 10; i++) await box.publish(q, { s: 'free', n: i });
      await waitFor(() => [...done.values()].reduce((a, c) => a + c.length, 0) === 70, 'every message', 15_000);
      for (let i = 0; i < 12; i++) expect(done.get(`s${i}`)).toEqual([0, 1, 2, 3, 4]);
      expect(peak).toBeLessThanOrEqual(3);
      // Every shard got jobs (12 sessions over 4 shards) and none is left behind.
      expect(box.shardsOf(q)).toEqual([q, `${q}.s1`, `${q}.s2`, `${q}.s3`]);
      const client = new Redis(redis.url);
      try {
        for (const name of box.shardsOf(q)) expect(await client.exists(`{itinera}:${name}:id`), name).toBe(1);
      } finally {
        client.disconnect();
      }
      const [stats] = await box.queueStats([q]);
      expect(stats).toMatchObject({ queue: q, waiting: 0, active: 0, delayed: 0 });
    } finally {
      await box.close();
    }
  }, 20_000);

  it('warns QUEUE_SHARD_JOBS at start when jobs sit in shards beyond the configured ones', async () => {
    const q = `shrunk-${process.pid}`;
    const wide = new BullMqMessageBox({ connection: redis.url, publishTimeoutMs: 5000, queueShards: { [q]: 3 } });
    for (let i = 0; i < 12; i++) await wide.publish(q, { i }, { orderingKey: `k${i}` });
    await wide.close();
    const warned: { obj: Record<string, unknown>; msg: string }[] = [];
    const logger = {
      trace() {},
      debug() {},
      info() {},
      error() {},
      fatal() {},
      warn: (obj: Record<string, unknown>, msg: string) => warned.push({ obj, msg }),
    } as unknown as Logger;
    logger.child = () => logger;
    const narrow = new BullMqMessageBox({ connection: redis.url, logger, queueShards: { [q]: 1 } });
    try {
      await narrow.consume(q, async () => undefined, { concurrency: 1 });
      const w = await waitFor(() => warned.find((x) => x.obj.code === 'QUEUE_SHARD_JOBS'), 'the warning');
      expect(w.obj).toMatchObject({ queue: q, shards: 1 });
      expect(w.obj.queues).toEqual(expect.arrayContaining([`${q}.s1`, `${q}.s2`]));
      expect(w.msg).toContain('ITINERA_WORK_QUEUE_SHARDS');
    } finally {
      await narrow.close();
    }
  });
});
