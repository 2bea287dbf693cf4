import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../support/redis-server';
import { waitFor } from '../support/ports';
import { BullMqMessageBox } from '@itinera/transport';

/**
 * The crash points of a session's line that a SIGKILL hits too rarely to test by chance:
 * each is set up by writing the state a crash leaves (the documented key layout), then
 * the box must move on by itself.
 */
let redis: RedisServer;
let client: Redis;
let box: BullMqMessageBox;
const PARK_MS = 300;
const STALE_MS = 600;

beforeAll(async () => {
  redis = await startRedis({ appendonly: false });
  client = new Redis(redis.url);
  box = new BullMqMessageBox({ connection: redis.url, worker: { parkMs: PARK_MS, staleMs: STALE_MS }, publishTimeoutMs: 5000 });
});
afterAll(async () => {
  await box?.close();
  client?.disconnect();
  await redis?.stop();
});

let counter = 0;
const queueName = () => `recovery-${process.pid}-${++counter}`;
const line = (q: string, key: string) => ({ line: `{itinera}:${q}:%o:${key}:line`, ids: `{itinera}:${q}:%o:${key}:ids` });

/** Put `id` at the head of `key`'s line as if it joined `agoMs` ago. */
async function plantHead(q: string, key: string, id: string, agoMs: number): Promise<void> {
  const k = line(q, key);
  await client.lpush(k.line, id);
  await client.hset(k.ids, id, String(Date.now() - agoMs));
}

async function consumeInto(q: string): Promise<string[]> {
  const seen: string[] = [];
  await box.consume<string>(q, async (job) => void seen.push(job.data), { concurrency: 2 });
  return seen;
}

describe('a session line recovers from crash points by itself (BullMQ)', () => {
  it('a head BullMQ never got (its publisher died after joining the line) is given up; if it shows up later it still runs', async () => {
    const q = queueName();
    const seen = await consumeInto(q);
    await plantHead(q, 's', 'ghost', 0);
    await box.publish(q, 'after the ghost', { orderingKey: 's' });
    // The next job looks again every PARK_MS and gives the ghost up once it is older than STALE_MS.
    await waitFor(() => seen.includes('after the ghost'), 'the job behind the ghost', 10_000);
    // The ghost's publisher comes back after all: its job joins the line again instead of passing for done.
    const raw = new Queue(q, { connection: client, prefix: '{itinera}' });
    await raw.add(q, { d: 'the ghost', k: 's' }, { jobId: 'ghost' });
    await raw.close();
    await waitFor(() => seen.includes('the ghost'), 'the late ghost', 10_000);
    expect(seen).toEqual(['after the ghost', 'the ghost']);
    expect(await client.exists(line(q, 's').line, line(q, 's').ids)).toBe(0);
  });

  it('a head BullMQ finished without leaving the line (its worker died after failing it) passes the turn on', async () => {
    const q = queueName();
    const seen = await consumeInto(q);
    await box.publish(q, 'finished', { jobId: 'finished' });
    await waitFor(() => seen.includes('finished'), 'the finished job');
    await plantHead(q, 's', 'finished', 0);
    await box.publish(q, 'next', { orderingKey: 's' });
    await waitFor(() => seen.includes('next'), 'the job behind the finished head', 10_000);
  });

  it('a job redelivered after it left its line (its worker died before BullMQ completed it) completes without running again', async () => {
    const q = queueName();
    const seen = await consumeInto(q);
    const raw = new Queue(q, { connection: client, prefix: '{itinera}' });
    await raw.add(q, { d: 'ran before the crash', k: 's' }, { jobId: 'released' });
    await waitFor(async () => (await raw.getJobState('released')) === 'completed', 'BullMQ to complete it');
    await raw.close();
    expect(seen).toEqual([]);
  });

  it('warns at start when partition queues of an older version still hold jobs no worker reads', async () => {
    const q = queueName();
    const raw = new Queue(`${q}.p3`, { connection: client, prefix: '{itinera}' });
    await raw.add(q, { d: 'left behind', k: 's' });
    await raw.close();
    const warned: { obj: Record<string, unknown>; msg: string }[] = [];
    const logger: any = {
      level: 'warn',
      trace() {},
      debug() {},
      info() {},
      error() {},
      fatal() {},
      warn: (obj: Record<string, unknown>, msg: string) => warned.push({ obj, msg }),
    };
    logger.child = () => logger;
    const own = new BullMqMessageBox({ connection: redis.url, logger });
    try {
      await own.consume(q, async () => undefined, { concurrency: 1 });
      const w = await waitFor(() => warned.find((x) => x.obj.code === 'LEGACY_PARTITION_JOBS'), 'the warning');
      expect(w.obj).toMatchObject({ queue: q, jobs: 1 });
      expect(w.msg).toContain('run a worker of that version');
    } finally {
      await own.close();
    }
  });
});
