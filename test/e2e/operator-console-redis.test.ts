import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawDuplex, http, startRedis, startTestBus, waitFor, type RedisServer } from '@itinera/testing';

type TestBus = Awaited<ReturnType<typeof startTestBus>>;

const CAROL = 'carol-token-0123456789abcdef';

/**
 * The console's endpoints on BullMQ with the Redis stores: search indexes, fault facets,
 * the audit trail and the queue counts all come from Redis.
 */
describe('operator console API on BullMQ and Redis', () => {
  let redis: RedisServer;
  let bus: TestBus;
  const as = { token: CAROL };

  beforeAll(async () => {
    redis = await startRedis({ appendonly: false });
    bus = await startTestBus({ env: { ITINERA_TRANSPORT: 'bullmq', REDIS_URL: redis.url, ITINERA_OPERATOR_TOKENS: `carol=${CAROL}` } });
  }, 60_000);
  afterAll(async () => {
    await bus?.close();
    await redis?.stop();
  });

  it('searches, filters, groups, bulk-deletes and audits, from Redis', async () => {
    const c = await RawDuplex.open(bus.url);
    await c.call('a', 'calculator', 'AddTo', { n: 3 });
    const faulted: string[] = [];
    for (let i = 0; i < 3; i++) faulted.push((await c.call(`d${i}`, 'calculator', 'DivideBy', { n: 0 })).messageId as string);
    await waitFor(() => c.callbacks().filter((f: any) => f.type === 'fault').length >= 3, 'three fault frames');
    c.close();

    const search = await waitFor(async () => {
      const res = await http(`${bus.url}/messages?itinerary=calculator&status=faulted`, as);
      return res.body.items?.length === 3 ? res : undefined;
    }, 'three faulted records in the status index');
    expect(search.body.items.map((m: any) => m.id)).toEqual([...faulted].reverse());
    expect(search.body.items[0]).toMatchObject({ itinerary: 'calculator', version: '1.0.0', status: 'faulted' });
    const page = await http(`${bus.url}/messages?itinerary=calculator&limit=2`, as);
    expect(page.body.items).toHaveLength(2);
    const rest = await http(`${bus.url}/messages?itinerary=calculator&limit=2&cursor=${encodeURIComponent(page.body.nextCursor)}`, as);
    expect(rest.body.items).toHaveLength(2);
    expect(rest.body.nextCursor).toBeUndefined();

    const faults = await http(`${bus.url}/faults?itinerary=calculator&code=DIVIDE_BY_ZERO&limit=2`, as);
    expect(faults.body.items).toHaveLength(2);
    expect(faults.body.faults).toBeUndefined();
    const groups = await http(`${bus.url}/faults/groups?by=code`, as);
    expect(groups.body).toEqual({ groups: [{ key: 'DIVIDE_BY_ZERO', count: 3 }] });

    const all = (await http(`${bus.url}/faults`, as)).body.faults.map((f: any) => f.id);
    const bulk = await http(`${bus.url}/faults/bulk`, { ...as, body: { action: 'delete', ids: all } });
    expect(bulk.body.results.every((r: any) => r.ok)).toBe(true);
    expect((await http(`${bus.url}/faults/groups`, as)).body).toEqual({ groups: [] });

    const audit = await http(`${bus.url}/audit`, as);
    expect(audit.body.items[0]).toMatchObject({ operator: 'carol', action: 'fault.bulk-delete', target: '3 faults', detail: { ids: all } });

    const live = await http(`${bus.url}/live`, as);
    expect(live.status).toBe(200);
    expect(live.body.queues.length).toBeGreaterThan(0);
    expect(live.body.queues[0]).toEqual({ name: expect.any(String), waiting: expect.any(Number), active: expect.any(Number), delayed: expect.any(Number) });
    expect(live.body.itineraries.find((r: any) => r.itinerary === 'calculator' && !r.step).faults).toBe(3);
  }, 60_000);
});
