import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawDuplex, SAMPLES_DIR, chatAcross, http, sleep, startCluster, waitFor, type Cluster } from '@itinera/testing';

/** The samples plus a slow itinerary (callback, 2.5 s delay, callback) to kill a worker in the middle of. */
function itinerariesWithSlow(): string {
  const dir = mkdtempSync(join(tmpdir(), 'itinera-cluster-it-'));
  cpSync(SAMPLES_DIR, dir, { recursive: true });
  writeFileSync(
    join(dir, 'slow.json'),
    JSON.stringify({
      name: 'slow',
      version: '1.0.0',
      steps: [
        { id: 'started', service: 'callback', options: { action: 'Started', expression: "{ 'n': body.n }" } },
        { id: 'wait', service: 'delay', options: { ms: 2500 } },
        { id: 'done', service: 'callback', options: { action: 'Done', expression: "{ 'n': body.n }" } },
      ],
    }),
  );
  return dir;
}

describe('microservices on BullMQ: two gateways, two workers, real processes', { timeout: 120_000 }, () => {
  let cluster: Cluster;
  let dir: string;
  beforeAll(async () => {
    dir = itinerariesWithSlow();
    cluster = await startCluster({ itinerariesDir: dir });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const gw = (i: number) => cluster.gateways[i].url;

  it('a duplex client on gateway A gets callbacks produced by any worker, in order', async () => {
    const c = await RawDuplex.open(gw(0));
    for (let i = 1; i <= 6; i++) c.send({ type: 'send', id: `a${i}`, itinerary: 'calculator', action: 'AddTo', body: { n: 1 } });
    await waitFor(() => c.callbacks().length >= 6, 'six callbacks');
    expect(c.callbacks().map((f) => [f.seq, f.body.result])).toEqual([1, 2, 3, 4, 5, 6].map((k) => [k, k]));
    await c.close();
  });

  it('a queue on-ramp consumes a BullMQ queue that any BullMQ producer feeds', async () => {
    const queue = new Queue('orders.fulfilment', { connection: { url: cluster.redis.url }, prefix: '{itinera}' });
    try {
      await queue.add('order', { action: 'Fulfil', headers: { 'x-source': 'erp' }, body: { orderId: 4242, sku: 'P-1', qty: 1 } });
      const line = await waitFor(
        () => cluster.workers.flatMap((w) => w.logs).find((l) => l.adapter === 'log' && l.body?.orderId === 4242),
        'the fulfilment itinerary to log the order',
      );
      expect(line.body).toEqual({ orderId: 4242, sku: 'P-1', qty: 1 });
    } finally {
      await queue.close();
    }
  });

  it('a chat message reaches sessions on both gateways', async () => {
    const { alice, bob } = await chatAcross(gw(0), gw(1), 'across nodes');
    expect(alice).toMatchObject({ action: 'NotifyClient' });
    expect(bob).toMatchObject({ action: 'NotifyClient' });
  });

  it('a client that drops from A and resumes on B gets every callback it missed, in order, once', async () => {
    const a = await RawDuplex.open(gw(0));
    await a.call('1', 'calculator', 'AddTo', { n: 10 });
    await a.next((f) => f.type === 'callback');
    a.send({ type: 'ack', seq: 1 });
    await a.close();
    // While disconnected, send over HTTP into the session: callbacks pile up in its outbox.
    for (let i = 0; i < 5; i++) {
      const r = await http(`${gw(1)}/itineraries/calculator/messages`, {
        body: { n: 1 },
        headers: { 'itinera-action': 'AddTo', 'itinera-session': a.session!, authorization: `Bearer ${a.token}` },
      });
      expect(r.status).toBe(202);
    }
    await sleep(500);
    const b = await RawDuplex.open(gw(1), { type: 'hello', session: a.session, token: a.token, lastSeq: 1 });
    expect(b.frames[0]).toMatchObject({ type: 'welcome', resumed: true });
    await waitFor(() => b.callbacks().length >= 5, 'five missed callbacks');
    await sleep(200);
    expect(b.callbacks().map((f) => [f.seq, f.body.result])).toEqual([
      [2, 11],
      [3, 12],
      [4, 13],
      [5, 14],
      [6, 15],
    ]);
    await b.close();
  });

  it('SIGKILL of a worker in the middle of a step: the message completes, each callback arrives once, the trace shows the redelivery', async () => {
    const c = await RawDuplex.open(gw(0));
    const accepted = await c.call('s1', 'slow', 'Go', { n: 7 });
    expect(accepted.type).toBe('accepted');
    await c.next((f) => f.action === 'Started');
    // The worker that ran `started` is in the middle of `wait` now.
    const runner = await waitFor(
      () => cluster.workers.find((w) => w.logs.some((l) => l.messageId === accepted.messageId && l.step === 'started')),
      'the worker running the message',
    );
    await runner.kill('SIGKILL');
    const done = await c.next((f) => f.action === 'Done', 30_000);
    expect(done.body).toEqual({ n: 7 });
    await sleep(300);
    expect(c.callbacks().filter((f) => f.action === 'Started')).toHaveLength(1);
    expect(c.callbacks().filter((f) => f.action === 'Done')).toHaveLength(1);
    const record = await waitFor(async () => {
      // A session's record: read through the session (with auth off nobody else may).
      const r = await http(`${gw(1)}/messages/${accepted.messageId}`, { headers: { 'itinera-session': c.session!, 'itinera-session-token': c.token! } });
      return r.body.status === 'completed' ? r.body : undefined;
    }, 'completion');
    expect(record.trace.some((t: any) => t.attempt >= 2)).toBe(true);
    await c.close();
    // Replace the killed worker for the tests that follow.
    cluster.workers[cluster.workers.indexOf(runner)] = await cluster.startNode('worker', `${runner.name}-b`);
  });

  it('SIGTERM of a worker in the middle of a step: it finishes the message before it exits, nothing runs twice', async () => {
    const c = await RawDuplex.open(gw(1));
    const accepted = await c.call('t1', 'slow', 'Go', { n: 9 });
    await c.next((f) => f.action === 'Started');
    const runner = await waitFor(
      () => cluster.workers.find((w) => w.logs.some((l) => l.messageId === accepted.messageId && l.step === 'started')),
      'the worker running the message',
    );
    runner.proc.kill('SIGTERM');
    const done = await c.next((f) => f.action === 'Done', 15_000);
    expect(done.body).toEqual({ n: 9 });
    await runner.exited;
    // Nest re-raises the signal after its shutdown hooks: a clean exit is code 0 or "killed by SIGTERM".
    expect(runner.proc.exitCode === 0 || runner.proc.signalCode === 'SIGTERM').toBe(true);
    // The draining worker ran `done` itself: no redelivery.
    expect(runner.logs.some((l) => l.messageId === accepted.messageId && l.step === 'done')).toBe(true);
    await sleep(300);
    expect(c.callbacks().filter((f) => f.action === 'Done')).toHaveLength(1);
    await c.close();
    cluster.workers[cluster.workers.indexOf(runner)] = await cluster.startNode('worker', `${runner.name}-c`);
  });

  it('Redis crashes (SIGKILL, AOF with fsync always) and restarts while messages flow: every message answered 2xx completes', async () => {
    const accepted: string[] = [];
    const sending = (async () => {
      for (let i = 0; i < 40; i++) {
        const r = await http(`${gw(i % 2)}/itineraries/orders/messages`, {
          body: { productId: i, amount: 1, customerId: 1 },
          headers: { 'itinera-action': 'CreateOrder' },
        }).catch(() => undefined);
        if (r && r.status >= 200 && r.status < 300) accepted.push(r.headers.get('itinera-message-id')!);
        else if (r) expect(r.status).toBe(503);
        await sleep(25);
      }
    })();
    await sleep(200);
    await cluster.redis.stop(true);
    await sleep(300);
    await cluster.redis.start();
    await sending;
    expect(accepted.length).toBeGreaterThan(0);
    for (const id of accepted) {
      await waitFor(
        async () => (await http(`${gw(0)}/messages/${id}`).catch(() => undefined))?.body?.status === 'completed',
        `message ${id} to complete`,
        30_000,
      );
    }
  });

  it('Redis down: HTTP answers 503 TRANSPORT_UNAVAILABLE within a second, WebSocket an error frame; both recover by themselves', async () => {
    const c = await RawDuplex.open(gw(0));
    await cluster.redis.stop(false);
    try {
      const t0 = Date.now();
      const r = await http(`${gw(0)}/itineraries/calculator/messages`, { body: { n: 1 }, headers: { 'itinera-action': 'AddTo' } });
      expect(Date.now() - t0).toBeLessThan(1500);
      expect(r.status).toBe(503);
      expect(r.body.code).toBe('TRANSPORT_UNAVAILABLE');
      const e = await c.call('down', 'calculator', 'AddTo', { n: 1 });
      expect(e).toMatchObject({ type: 'error', id: 'down', error: { code: 'TRANSPORT_UNAVAILABLE' } });
    } finally {
      await cluster.redis.start();
    }
    await waitFor(
      async () => (await http(`${gw(0)}/itineraries/calculator/messages`, { body: { n: 1 }, headers: { 'itinera-action': 'AddTo' } })).status === 202,
      'HTTP to recover',
      20_000,
      200,
    );
    await waitFor(async () => (await c.call(`up${Date.now()}`, 'calculator', 'AddTo', { n: 1 })).type === 'accepted', 'WebSocket to recover', 20_000, 200);
    await c.close();
  });

  it('SIGTERM of a gateway with sessions open: clients get closing, resume on the other gateway and lose nothing', async () => {
    const c = await RawDuplex.open(gw(0));
    await c.call('1', 'calculator', 'AddTo', { n: 2 });
    await c.next((f) => f.type === 'callback');
    const closing = c.next((f) => f.type === 'closing');
    await cluster.gateways[0].kill('SIGTERM');
    expect(await closing).toMatchObject({ type: 'closing', reason: 'shutdown' });
    expect(typeof (await closing).retryAfterMs).toBe('number');
    const d = await RawDuplex.open(gw(1), { type: 'hello', session: c.session, token: c.token, lastSeq: 0 });
    expect(d.frames[0]).toMatchObject({ type: 'welcome', resumed: true });
    await d.call('2', 'calculator', 'AddTo', { n: 3 });
    await waitFor(() => d.callbacks().some((f) => f.seq === 2), 'the second callback');
    expect(d.callbacks().map((f) => [f.seq, f.body.result])).toEqual([
      [1, 2],
      [2, 5],
    ]);
    await d.close();
  });
});
