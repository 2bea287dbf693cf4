import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '@itinera/testing';
import { RedisFaultStore, RedisMessageStore, createRecordStores } from '@itinera/observability';
import { describeRecordStores, entry, sampleFault, sampleRecord } from '../../libs/observability/src/stores/stores.conformance';
import { describeSearchStores } from '../../libs/observability/src/stores/search.conformance';

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis({ appendonly: false });
});
afterAll(async () => {
  await redis?.stop();
});

describeRecordStores('redis', async () => {
  const stores = createRecordStores({ redisUrl: redis.url });
  return { ...stores, cleanup: () => stores.close() };
});

describeSearchStores('redis', async () => {
  const stores = createRecordStores({ redisUrl: redis.url });
  return { ...stores, cleanup: () => stores.close() };
});

describe('Redis record stores', () => {
  it('keep every key under the {itinera} hash tag, with a TTL on message records', async () => {
    const stores = createRecordStores({ redisUrl: redis.url, recordTtlMs: 60_000 });
    const id = `layout-${Date.now()}`;
    await stores.messages.put(sampleRecord(id));
    await stores.messages.update(id, { status: 'running' }, [entry('a')]);
    await stores.idempotency.claim(`key-${id}`, 'h', 1, 60_000);
    const client = new Redis(redis.url);
    const keys = await client.keys(`*${id}*`);
    const ttls = await Promise.all(keys.map((k) => client.pttl(k)));
    client.disconnect();
    await stores.close();
    // The correlation's search index is a key of its own, with the records' retention.
    expect(keys.sort()).toEqual([`{itinera}:idem:key-${id}`, `{itinera}:msg:${id}`, `{itinera}:msgidx:correlation:c-${id}`]);
    for (const ttl of ttls) expect(ttl).toBeGreaterThan(0);
  });

  it('keep the fault index bounded to the newest faults', async () => {
    const prefix = `{itinera-cap-${Date.now()}}`;
    const faults = new RedisFaultStore({ redis: redis.url, prefix, maxFaults: 2 });
    for (const [id, hour] of [
      ['f1', 10],
      ['f2', 11],
      ['f3', 12],
    ] as const)
      await faults.add(sampleFault(id, `2024-05-01T${hour}:00:00.000Z`));
    expect((await faults.list()).map((f) => f.id)).toEqual(['f3', 'f2']);
    await faults.close();
  });

  it('fail with TRANSPORT_UNAVAILABLE while Redis is down, and recover', async () => {
    const own = await startRedis({ appendonly: true });
    const store = new RedisMessageStore({ redis: own.url, timeoutMs: 300 });
    try {
      await store.put(sampleRecord('m1'));
      await own.stop(false);
      await expect(store.get('m1')).rejects.toMatchObject({ code: 'TRANSPORT_UNAVAILABLE', transient: true });
      await own.start();
      let got;
      for (let i = 0; i < 50 && !got; i++) {
        got = await store.get('m1').catch(() => undefined);
        if (!got) await new Promise((r) => setTimeout(r, 100));
      }
      expect(got?.messageId).toBe('m1');
    } finally {
      await store.close();
      await own.stop();
    }
  });
});
