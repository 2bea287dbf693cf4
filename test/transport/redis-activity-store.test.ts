import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createRequire } from 'node:module';
import { startRedis, type RedisServer } from '@itinera/testing';
import { RedisActivityStore } from '@itinera/observability';
import { describeActivityStore } from '../../libs/observability/src/stores/activity.conformance';

/** What ioredis's cluster client routes by (its own dependency, untyped). */
const calculateSlot = createRequire(__filename)('cluster-key-slot') as (key: string) => number;

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis({ appendonly: false });
});
afterAll(async () => {
  await redis?.stop();
});

describeActivityStore('redis', async (opts) => new RedisActivityStore({ redis: redis.url, ...opts }));

/** Commands that name exactly one key (their first argument). */
const SINGLE_KEY = new Set(['rpush', 'ltrim', 'pexpire', 'zadd', 'zremrangebyscore', 'zremrangebyrank', 'lrange', 'zrangebyscore']);

describe('Redis activity store', () => {
  it('keeps each activity under its own hash tag with a TTL, indexes per itinerary, and never sends a multi-key command', async () => {
    const store = new RedisActivityStore({ redis: redis.url, retentionMs: 60_000 });
    const monitor = await new Redis(redis.url).monitor();
    const commands: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => commands.push(args));
    const run = `layout-${Date.now()}`;
    const now = new Date().toISOString();
    // Braces in an id would end a hash tag early: they are encoded.
    for (const c of [`${run}-a`, `${run}-{b}`]) {
      await store.record({ correlationId: c, itinerary: `orders-${run}`, milestone: 'ordered', at: now, messageId: c, fields: { amount: 1 } });
      await store.record({ correlationId: c, itinerary: `fulfil-${run}`, milestone: 'fulfilled', at: now, messageId: c, fields: {} });
    }
    expect((await store.get(`${run}-{b}`))!.milestones).toHaveLength(2);
    const agg = await store.aggregate({ itinerary: `orders-${run}`, fromMs: Date.now() - 60_000, toMs: Date.now() + 60_000, bucketMs: 60_000 });
    expect(agg.total).toMatchObject({ count: 2, milestones: { ordered: 2, fulfilled: 2 } });
    await new Promise((r) => setTimeout(r, 50));
    monitor.disconnect();

    const client = new Redis(redis.url);
    const keys = (await client.keys(`*${run}*`)).sort();
    const ttls = await Promise.all(keys.map((k) => client.pttl(k)));
    client.disconnect();
    await store.close();
    expect(keys).toEqual(
      [`itinera:activities:{fulfil-${run}}`, `itinera:activities:{orders-${run}}`, `itinera:activity:{${run}-%7Bb%7D}`, `itinera:activity:{${run}-a}`].sort(),
    );
    for (const ttl of ttls) expect(ttl).toBeGreaterThan(0);
    // Four hash tags, four slots (the ids are chosen so they differ): nothing relies on keys sharing a slot.
    expect(new Set(keys.map((k) => calculateSlot(k))).size).toBe(4);
    const ours = commands.filter((args) => args.some((a) => a.includes(run)));
    expect(ours.length).toBeGreaterThan(0);
    for (const [name, ...args] of ours) {
      expect(SINGLE_KEY.has(name.toLowerCase()), `${name} ${args.join(' ')}`).toBe(true);
    }
  });
});
