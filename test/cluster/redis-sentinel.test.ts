import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '@itinera/sessions';
import { createMessageBox } from '@itinera/transport';
import { freePort, waitFor } from '@itinera/testing';

const HOST = '127.0.0.1';

/** A master, its replica and one Sentinel from redis-server (`--sentinel`), on loopback ports. */
async function startSentinelSet() {
  const dir = mkdtempSync(join(tmpdir(), 'itinera-sentinel-'));
  const [master, replica, sentinel] = [await freePort(), await freePort(), await freePort()];
  const base = ['--bind', HOST, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning', '--dir', dir];
  const children: ChildProcess[] = [
    spawn('redis-server', ['--port', String(master), '--dbfilename', 'm.rdb', ...base], { stdio: 'ignore' }),
    spawn('redis-server', ['--port', String(replica), '--replicaof', HOST, String(master), '--dbfilename', 'r.rdb', ...base], { stdio: 'ignore' }),
  ];
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${sentinel}`,
      `bind ${HOST}`,
      `sentinel monitor bus ${HOST} ${master} 1`,
      'sentinel down-after-milliseconds bus 1000',
      'sentinel failover-timeout bus 5000',
      '',
    ].join('\n'),
  );
  children.push(spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' }));
  const ask = async (port: number, ...args: string[]) => {
    const r = new Redis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 0 });
    r.on('error', () => undefined);
    try {
      await r.connect();
      return await r.call(...(args as [string, ...string[]]));
    } finally {
      r.disconnect();
    }
  };
  const masterPort = async () => Number(((await ask(sentinel, 'SENTINEL', 'get-master-addr-by-name', 'bus')) as string[])[1]);
  await waitFor(async () => String(await ask(replica, 'INFO', 'replication')).includes('master_link_status:up'), 'the replica to sync', 15_000, 50);
  await waitFor(async () => (await masterPort()) === master, 'the Sentinel to know the master', 15_000, 50);
  return {
    endpoint: { sentinels: [{ host: HOST, port: sentinel }], name: 'bus' },
    master,
    replica,
    masterPort,
    async failover() {
      await ask(sentinel, 'SENTINEL', 'FAILOVER', 'bus');
      await waitFor(async () => (await masterPort()) === replica, 'the replica to become master', 20_000, 100);
    },
    stop() {
      for (const c of children) c.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('Redis Sentinel (REDIS_SENTINELS): the stores and the box follow a failover', { timeout: 60_000 }, () => {
  let set: Awaited<ReturnType<typeof startSentinelSet>>;
  beforeAll(async () => {
    set = await startSentinelSet();
  }, 60_000);
  afterAll(() => set?.stop());

  it('keeps a session and its outbox, and the box delivers, across a Sentinel failover', async () => {
    const store = new RedisSessionStore({ redis: set.endpoint, ttlMs: 60_000, timeoutMs: 2000 });
    const box = await createMessageBox({ transport: 'bullmq', redis: set.endpoint });
    const got: number[] = [];
    const consumer = await box.consume<{ n: number }>('sentinel.test', async (job) => void got.push(job.data.n), { concurrency: 1 });
    try {
      const { id, token } = await store.create();
      await store.push(id, { type: 'callback', action: 'Result', correlationId: 'c1', body: { n: 1 } }, { limit: 100, overflow: 'fault' });
      await box.publish('sentinel.test', { n: 1 });
      await waitFor(() => got.includes(1), 'the first job');

      await set.failover();
      // The old master's clients were dropped; ioredis asks the Sentinel again and finds the new one.
      await waitFor(
        () =>
          store.authenticate(id, token).then(
            () => true,
            () => false,
          ),
        'the session on the new master',
        20_000,
        200,
      );
      expect((await store.pending(id, 0)).map((f) => ('body' in f ? f.body : undefined))).toEqual([{ n: 1 }]);
      await waitFor(
        () =>
          box.publish('sentinel.test', { n: 2 }).then(
            () => true,
            () => false,
          ),
        'a publish on the new master',
        20_000,
        200,
      );
      await waitFor(() => got.includes(2), 'the second job', 20_000);
      expect(got).toEqual([1, 2]);
    } finally {
      await consumer.close();
      await box.close();
      await store.close();
    }
  });
});
