import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../support/redis-server';
import { sleep, waitFor } from '../support/ports';
import { BullMqMessageBox } from '@itinera/transport';

const ROOT = resolve(__dirname, '../..');
let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis({ appendonly: false });
});
afterAll(async () => {
  await redis?.stop();
});

const queueName = (what: string) => `order-${what}-${process.pid}-${Date.now().toString(36)}`;

describe('per-session order across worker processes (BullMQ)', () => {
  const QUEUES = [queueName('procs'), queueName('kill')];
  const workers: ChildProcess[] = [];
  let client: Redis;
  let box: BullMqMessageBox;

  const startWorker = async (): Promise<ChildProcess> => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, 'fixtures/order-worker.ts'), redis.url, QUEUES.join(','), '4'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    workers.push(child);
    await waitFor(() => out.includes('ready'), 'worker ready', 20_000);
    return child;
  };

  /** Publish `each` messages per session, in order per session, the sessions at once. */
  const publishAll = async (q: string, sessions: number, each: number, after?: (published: number) => Promise<void>) => {
    let published = 0;
    await Promise.all(
      Array.from({ length: sessions }, async (_, i) => {
        for (let n = 0; n < each; n++) {
          await publishOnce(q, `s${i}`, n);
          await after?.(++published);
        }
      }),
    );
  };

  /**
   * Publish as a client does: on TRANSPORT_UNAVAILABLE (a publish timing out on a busy
   * machine) send again with the same id, which the box holds once.
   */
  const publishOnce = async (q: string, s: string, n: number) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await box.publish(q, { s, n }, { orderingKey: s, jobId: `${s}.${n}` });
      } catch (err) {
        if ((err as { code?: string }).code !== 'TRANSPORT_UNAVAILABLE' || attempt >= 5) throw err;
      }
    }
  };

  const logOf = async (q: string, what: 'completed' | 'starts', s: string) => (await client.lrange(`${q}:${what}:${s}`, 0, -1)).map(Number);

  beforeAll(async () => {
    client = new Redis(redis.url);
    box = new BullMqMessageBox({ connection: redis.url, worker: { parkMs: 1000 }, publishTimeoutMs: 5000 });
    await Promise.all([startWorker(), startWorker()]);
  }, 40_000);
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await box?.close();
    client?.disconnect();
  });

  it('50 sessions × 20 messages on two workers of concurrency 4: each session completes in accepted order, one at a time', async () => {
    const q = QUEUES[0]!;
    await publishAll(q, 50, 20);
    await waitFor(async () => (await client.hlen(`${q}:done`)) === 1000, 'every message', 30_000, 50);
    const range = Array.from({ length: 20 }, (_, n) => n);
    for (let i = 0; i < 50; i++) {
      expect(await logOf(q, 'completed', `s${i}`)).toEqual(range);
      expect(await logOf(q, 'starts', `s${i}`)).toEqual(range);
    }
    expect(Number(await client.get(`${q}:overlaps`))).toBe(0);
  }, 40_000);

  it('a worker SIGKILLed mid-stream: order still holds and every accepted message completes exactly once', async () => {
    const q = QUEUES[1]!;
    const victim = workers[0]!;
    let killed = false;
    await publishAll(q, 20, 15, async (published) => {
      if (!killed && published >= 100) {
        killed = true;
        victim.kill('SIGKILL');
      }
    });
    expect(killed).toBe(true);
    await waitFor(async () => (await client.hlen(`${q}:done`)) === 300, 'every message after the kill', 30_000, 50);
    await sleep(300);
    expect(await client.hlen(`${q}:done`)).toBe(300);
    const range = Array.from({ length: 15 }, (_, n) => n);
    let redelivered = 0;
    for (let i = 0; i < 20; i++) {
      expect(await logOf(q, 'completed', `s${i}`)).toEqual(range);
      const starts = await logOf(q, 'starts', `s${i}`);
      // A message whose worker died starts again, but never after a later message of its session.
      for (let k = 1; k < starts.length; k++) expect(starts[k]).toBeGreaterThanOrEqual(starts[k - 1]!);
      redelivered += starts.length - 15;
    }
    console.log(`[kill] messages started again after the kill: ${redelivered}`);
  }, 40_000);
});
