import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import type { BoxJob } from '@itinera/core';
import { sleep, startRedis, waitFor, type RedisServer } from '@itinera/testing';
import { BullMqMessageBox, checkMaxmemoryPolicy, createMessageBox } from '@itinera/transport';
import { describeMessageBox } from '../../libs/transport/test/message-box.conformance';

const ROOT = resolve(__dirname, '../..');
let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis({ appendonly: false });
});
afterAll(async () => {
  await redis?.stop();
});

describeMessageBox('bullmq', async () => {
  const box = new BullMqMessageBox({ connection: redis.url });
  return { box, cleanup: () => box.close() };
});

const quietLogger = () => {
  const logger = { level: 'warn', trace: vi.fn(), debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn(), fatal: vi.fn(), child: () => logger };
  return logger;
};

describe('BullMqMessageBox on Redis', () => {
  it('keeps every key under the {itinera} hash tag', async () => {
    const box = new BullMqMessageBox({ connection: redis.url });
    const q = `layout.${Date.now()}`;
    await box.publish(q, { a: 1 });
    await box.publish(q, { a: 2 }, { orderingKey: 'session-1' });
    const client = new Redis(redis.url);
    const keys = await client.keys(`*${q}*`);
    client.disconnect();
    await box.close();
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.startsWith('{itinera}:')).toBe(true);
  });

  it('fails publish fast with TRANSPORT_UNAVAILABLE while Redis is down, and recovers by itself', async () => {
    const own = await startRedis({ appendonly: true });
    const box = new BullMqMessageBox({ connection: own.url, logger: quietLogger() });
    const q = `outage.${Date.now()}`;
    const got: string[] = [];
    try {
      await box.consume<string>(q, async (job) => void got.push(job.data), { concurrency: 1 });
      await box.publish(q, 'before');
      await waitFor(() => got.includes('before'), 'delivery before the outage');

      await own.stop(false);
      const t0 = Date.now();
      const err = await box.publish(q, 'during').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(err).toMatchObject({ code: 'TRANSPORT_UNAVAILABLE', transient: true });
      expect(await box.isReady()).toBe(false);

      await own.start();
      await waitFor(
        () =>
          box.publish(q, 'after').then(
            () => true,
            () => false,
          ),
        'publish after Redis returns',
        10_000,
        100,
      );
      await waitFor(() => got.includes('after'), 'delivery after the outage', 10_000);
      expect(got).not.toContain('during');
      expect(await box.isReady()).toBe(true);
    } finally {
      await box.close();
      await own.stop();
    }
  });

  it('delivers again a job whose worker process died mid-job', async () => {
    const q = `stall.${Date.now()}`;
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, 'fixtures/stall-worker.ts'), redis.url, q], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const box = new BullMqMessageBox({ connection: redis.url, worker: { lockDurationMs: 1000, stalledIntervalMs: 300 } });
    try {
      await waitFor(() => out.includes('ready'), 'child worker ready', 15_000);
      await box.publish(q, { order: 7 }, { jobId: 'order:7' });
      await waitFor(() => out.includes('started order:7'), 'child took the job');
      child.kill('SIGKILL');
      const got: BoxJob[] = [];
      await box.consume(q, async (job) => void got.push(job), { concurrency: 1 });
      await waitFor(() => got.length === 1, 'redelivery', 10_000);
      expect(got[0]).toMatchObject({ id: 'order:7', data: { order: 7 } });
      await sleep(100);
      expect(got).toHaveLength(1);
    } finally {
      child.kill('SIGKILL');
      await box.close();
    }
  });
});

describe('checkMaxmemoryPolicy', () => {
  it('accepts noeviction', async () => {
    const client = new Redis(redis.url);
    await expect(checkMaxmemoryPolicy(client)).resolves.toBe('noeviction');
    client.disconnect();
  });

  it('rejects an evicting policy unless told to allow it, then warns', async () => {
    const lru = await startRedis({ appendonly: false, maxmemoryPolicy: 'allkeys-lru' });
    const client = new Redis(lru.url);
    try {
      const err = await checkMaxmemoryPolicy(client, { allowOtherPolicy: false }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'REDIS_EVICTION_POLICY' });
      expect((err as Error).message).toContain('maxmemory-policy noeviction');
      expect((err as Error).message).toContain('ITINERA_ALLOW_EVICTION=true');
      const logger = quietLogger();
      await expect(checkMaxmemoryPolicy(client, { allowOtherPolicy: true, logger })).resolves.toBe('allkeys-lru');
      expect(logger.warn).toHaveBeenCalled();
    } finally {
      client.disconnect();
      await lru.stop();
    }
  });

  it('warns and goes on when the server refuses CONFIG', async () => {
    const admin = new Redis(redis.url);
    await admin.call('ACL', 'SETUSER', 'noconfig', 'on', '>secret', '~*', '&*', '+@all', '-config');
    const limited = new Redis(redis.url, { username: 'noconfig', password: 'secret' });
    const logger = quietLogger();
    try {
      await expect(checkMaxmemoryPolicy(limited, { logger })).resolves.toBeUndefined();
      expect(logger.warn).toHaveBeenCalled();
    } finally {
      limited.disconnect();
      admin.disconnect();
    }
  });
});

describe('createMessageBox', () => {
  it('builds the memory box', async () => {
    const box = await createMessageBox({ transport: 'memory' });
    expect(box.kind).toBe('memory');
    await box.close();
  });

  it('builds the bullmq box once Redis answers', async () => {
    const box = await createMessageBox({ transport: 'bullmq', redisUrl: redis.url, checkEvictionPolicy: true });
    expect(box.kind).toBe('bullmq');
    expect(await box.isReady()).toBe(true);
    await box.close();
  });

  it('stops with TRANSPORT_UNAVAILABLE when Redis is not there', async () => {
    const down = await startRedis({ appendonly: false });
    await down.stop();
    await expect(createMessageBox({ transport: 'bullmq', redisUrl: down.url, connectTimeoutMs: 500 })).rejects.toMatchObject({
      code: 'TRANSPORT_UNAVAILABLE',
    });
  });
});
