import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisClusterEndpoint } from '@itinera/core';
import { createRecordStores } from '@itinera/observability';
import { BullMqMessageBox } from '@itinera/transport';
import { RedisSessionStore } from '@itinera/sessions';
import { RawDuplex, chatAcross, http, sleep, startCluster, startRedisCluster, waitFor, type Cluster, type LocalRedisCluster } from '@itinera/testing';
// The conformance suites are test code, not part of the libs' public indexes.
import { describeSessionStore } from '../../libs/sessions/test/session-store.conformance';
import { describeRecordStores } from '../../libs/observability/src/stores/stores.conformance';

let redis: LocalRedisCluster;
beforeAll(async () => {
  redis = await startRedisCluster();
}, 60_000);
afterAll(async () => {
  await redis?.stop();
});

const endpoint = (): RedisClusterEndpoint => ({
  clusterNodes: redis.nodesEnv.split(',').map((s) => ({ host: '127.0.0.1', port: Number(s.split(':')[1]) })),
});

// The stores' cluster paths (one slot per session, record, fault; no multi-slot command) pass the same suites as on one Redis.
describeSessionStore(
  'redis cluster',
  ({ ttlMs, now }) => new RedisSessionStore({ redis: endpoint(), prefix: `{it-${randomBytes(4).toString('hex')}}`, ttlMs, now }),
);
describeRecordStores('redis cluster', async () => {
  const stores = createRecordStores({ redis: endpoint() });
  return { ...stores, cleanup: () => stores.close() };
});

/** Keys on one master matching `pattern` (SCAN, so a master's count is its own). */
async function countKeys(port: number, pattern: string): Promise<number> {
  const r = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0 });
  try {
    let n = 0;
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      n += keys.length;
    } while (cursor !== '0');
    return n;
  } finally {
    r.disconnect();
  }
}

describe('Redis Cluster: three masters and three replicas, gateways and workers as processes', { timeout: 120_000 }, () => {
  let bus: Cluster;
  beforeAll(async () => {
    // REDIS_URL empty: the harness's own redis-server stays unused, the nodes run on the cluster.
    bus = await startCluster({ gateways: 2, workers: 1, env: { REDIS_URL: '', REDIS_CLUSTER_NODES: redis.nodesEnv, ITINERA_ORDER_PARK_MS: '3000' } });
  }, 120_000);
  afterAll(async () => {
    await bus?.stop();
  });

  const gw = (i: number) => bus.gateways[i]!.url;

  it('keeps a session in order and broadcasts to a group across gateways', async () => {
    const c = await RawDuplex.open(gw(0));
    for (let i = 1; i <= 6; i++) c.send({ type: 'send', id: `a${i}`, itinerary: 'calculator', action: 'AddTo', body: { n: 1 } });
    await waitFor(() => c.callbacks().length >= 6, 'six callbacks');
    expect(c.callbacks().map((f) => [f.seq, f.body.result])).toEqual([1, 2, 3, 4, 5, 6].map((k) => [k, k]));

    await c.close();
    const { alice, bob } = await chatAcross(gw(0), gw(1), 'over the cluster');
    expect(alice).toMatchObject({ action: 'NotifyClient' });
    expect(bob).toMatchObject({ action: 'NotifyClient' });
  });

  it('spreads sessions, records and queues over all three masters', async () => {
    const clients = await Promise.all(Array.from({ length: 24 }, (_, i) => RawDuplex.open(gw(i % 2))));
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const r = await http(`${gw(i % 2)}/itineraries/orders/messages`, {
        body: { productId: i, amount: 1, customerId: 1 },
        headers: { 'itinera-action': 'CreateOrder' },
      });
      expect(r.status).toBeLessThan(300);
      ids.push(r.headers.get('itinera-message-id')!);
    }
    for (const id of ids.slice(-5)) {
      await waitFor(async () => (await http(`${gw(0)}/messages/${id}`)).body?.status === 'completed', `message ${id} to complete`, 20_000);
    }
    const masters = await redis.masters();
    expect(masters).toHaveLength(3);
    const per = await Promise.all(
      masters.map(async (port) => ({
        port,
        sessions: await countKeys(port, 'itinera:duplex:session:{*}'),
        records: await countKeys(port, 'itinera:msg:{*}'),
        all: await countKeys(port, '*'),
      })),
    );
    for (const m of per) {
      expect(m.sessions, `sessions on ${m.port}`).toBeGreaterThan(0);
      expect(m.records, `records on ${m.port}`).toBeGreaterThan(0);
    }
    // Every key of a queue shares its tag; the work queue lives on one master, whole.
    const work = await redis.masterOf('itinera:{itinera.work}:id');
    expect(await countKeys(work, 'itinera:{itinera.work}:*')).toBeGreaterThan(0);
    for (const m of per.filter((p) => p.port !== work)) expect(await countKeys(m.port, 'itinera:{itinera.work}:*')).toBe(0);
    // Nothing under the single-slot layout: no key kept the {itinera} tag.
    for (const m of per) expect(await countKeys(m.port, '{itinera}*')).toBe(0);
    await Promise.all(clients.map((c) => c.close()));
  });

  it('spreads the shards of a sharded queue over all three masters', async () => {
    const box = new BullMqMessageBox({ connection: endpoint(), publishTimeoutMs: 5000, queueShards: { 'spread.work': 8 } });
    try {
      for (let i = 0; i < 24; i++) await box.publish('spread.work', { i }, { orderingKey: `s${i % 12}` });
      const [stats] = await box.queueStats(['spread.work']);
      expect(stats!.waiting + (stats!.delayed ?? 0)).toBe(24);
      for (const port of await redis.masters()) {
        expect(await countKeys(port, 'itinera:{spread.work*}:spread.work*:id'), `shards on ${port}`).toBeGreaterThan(0);
      }
    } finally {
      await box.close();
    }
  });

  it('fails the work queue master over mid-stream: every accepted message completes, each exactly once', async () => {
    const c = await RawDuplex.open(gw(1));
    let accepted = 0;
    let refused = 0;
    let acceptedAfter = 0;
    let unconfirmed = 0;
    const httpAccepted: string[] = [];
    // Messages flow until 3 s after the replica took over.
    let stopAt = Infinity;
    let promotedAt = Infinity;
    const duplex = (async () => {
      for (let i = 0; Date.now() < stopAt; i++) {
        const f = await c.call(`f${i}`, 'calculator', 'AddTo', { n: 1 }).catch(() => undefined);
        if (f?.type === 'accepted') {
          accepted++;
          if (Date.now() > promotedAt) acceptedAfter++;
        } else {
          refused++;
          // A publish the box did not confirm in time may still run (the bus says so): at most once.
          if (/may still run/.test(String((f as { error?: { message?: string } } | undefined)?.error?.message ?? ''))) unconfirmed++;
        }
        await sleep(20);
      }
    })();
    const viaHttp = (async () => {
      for (let i = 0; Date.now() < stopAt; i++) {
        const r = await http(`${gw(i % 2)}/itineraries/orders/messages`, {
          body: { productId: 1000 + i, amount: 1, customerId: 2 },
          headers: { 'itinera-action': 'CreateOrder' },
        }).catch(() => undefined);
        if (r && r.status >= 200 && r.status < 300) httpAccepted.push(r.headers.get('itinera-message-id')!);
        else if (r) expect(r.status).toBe(503);
        await sleep(20);
      }
    })();
    await sleep(800);
    const victim = await redis.masterOf('itinera:{itinera.work}:id');
    const { promoted } = await redis.failMaster(victim);
    expect(promoted).not.toBe(victim);
    promotedAt = Date.now();
    stopAt = promotedAt + 3000;
    await Promise.all([duplex, viaHttp]);
    // Sends during the failover may be refused (503, an error frame): refused is never accepted.
    expect(accepted).toBeGreaterThan(5);
    expect(acceptedAfter, 'sessions accepted again after the failover').toBeGreaterThan(0);
    expect(httpAccepted.length).toBeGreaterThan(5);

    // Each AddTo adds 1 to the session's result: a message run twice would repeat or skip a number.
    await waitFor(() => c.callbacks().filter((f) => f.action === 'Result').length >= accepted, `${accepted} results`, 30_000).catch((err) => {
      console.info('DIAG', accepted, refused, JSON.stringify(c.callbacks().map((f) => [f.seq, f.action, f.body?.result ?? f.error?.code])));
      for (const n of [...bus.gateways, ...bus.workers])
        for (const l of n.logs.filter((x) => x.level >= 40).slice(-6)) console.info('DIAG', n.name, JSON.stringify(l).slice(0, 500));
      throw err;
    });
    await sleep(500);
    const results = c
      .callbacks()
      .filter((f) => f.action === 'Result')
      .map((f) => f.body.result as number);
    expect(results).toEqual(results.map((_, i) => i + 1));
    expect(results.length).toBeGreaterThanOrEqual(accepted);
    expect(results.length).toBeLessThanOrEqual(accepted + unconfirmed);
    for (const id of httpAccepted) {
      await waitFor(
        async () => (await http(`${gw(0)}/messages/${id}`).catch(() => undefined))?.body?.status === 'completed',
        `message ${id} to complete`,
        30_000,
      );
    }
    console.info(
      `failover ${victim} -> ${promoted}: duplex ${accepted} accepted (${acceptedAfter} after), ${refused} refused (${unconfirmed} unconfirmed); HTTP ${httpAccepted.length} accepted`,
    );
    await c.close();
  });
});
