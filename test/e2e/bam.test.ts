import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, startCluster, startTestBus, waitFor } from '@itinera/testing';

/**
 * Business activity monitoring on the orders sample: a few hundred orders with known
 * amounts and customers, followed from CreateOrder (orders) to fulfilment
 * (order-fulfilment, fed by the orders.fulfilment queue) under one correlation id.
 * Every aggregate is checked exactly against figures computed here: counts and sums
 * from the orders sent, times between milestones from each activity's recorded times.
 */

const TOKEN = 'bam-operator-token';

interface Order {
  productId: number;
  amount: number;
  customerId: number;
  correlationId?: string;
}

const makeOrders = (count: number): Order[] =>
  Array.from({ length: count }, (_, i) => ({ productId: (i % 4) + 1, amount: (i % 15) + 1, customerId: 100 + (i % 7) }));

/** Nearest rank: the value at rank ceil(p/100 * n) of the ascending values (the method the README documents). */
const nearestRank = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1];
};
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

interface Running {
  url: string;
  close(): Promise<void>;
}

function describeBam(name: string, orderCount: number, start: () => Promise<Running>): void {
  describe(`business activity monitoring on the orders sample (${name})`, () => {
    const orders = makeOrders(orderCount);
    let bus: Running;
    let from: number;
    let to: number;
    /** Each order's activity as GET /activities/{id} shows it. */
    const activities = new Map<string, any>();
    const get = (path: string, token: string | null = TOKEN) => http(`${bus.url}${path}`, token === null ? {} : { token });

    beforeAll(async () => {
      bus = await start();
      from = Date.now() - 1000;
      for (let i = 0; i < orderCount; i += 25) {
        await Promise.all(
          orders.slice(i, i + 25).map(async (o) => {
            const { correlationId: _c, ...body } = o;
            const res = await http(`${bus.url}/itineraries/orders/messages`, { body, headers: { 'itinera-action': 'CreateOrder' } });
            expect(res.status).toBe(200);
            expect(res.body).toBe(true);
            o.correlationId = res.headers.get('itinera-correlation-id')!;
          }),
        );
      }
      // Done when every order reached its last milestone.
      await waitFor(
        async () => {
          const r = await get(`/activities?itinerary=orders&from=${from}&to=${Date.now() + 60_000}&bucket=1h`);
          return r.body?.total?.milestones?.fulfilled === orderCount ? r : undefined;
        },
        'every order to be fulfilled',
        120_000,
        200,
      );
      to = Date.now() + 60_000;
      for (const o of orders) activities.set(o.correlationId!, (await get(`/activities/${encodeURIComponent(o.correlationId!)}`)).body);
    }, 240_000);
    afterAll(async () => {
      await bus?.close();
    });

    it('follows each order across both itineraries under its correlation id', () => {
      for (const o of orders) {
        const a = activities.get(o.correlationId!);
        expect(a.correlationId).toBe(o.correlationId);
        expect(a.milestones.map((m: any) => `${m.itinerary}:${m.milestone}`)).toEqual(['orders:ordered', 'orders:decided', 'order-fulfilment:fulfilled']);
        expect(a.fields).toMatchObject({
          amount: o.amount,
          customer: o.customerId,
          product: o.productId,
          outcome: o.amount > 10 ? 'OrderCanceled' : 'OrderPurchased',
        });
        expect(Number.isInteger(a.fields.orderId)).toBe(true);
        expect(a.intervals.map((i: any) => [i.from, i.to])).toEqual([
          ['ordered', 'decided'],
          ['decided', 'fulfilled'],
        ]);
      }
    });

    it('aggregates counts, milestone counts, sums and p50/p95 exactly, per customer', async () => {
      const r = await get(`/activities?itinerary=orders&from=${from}&to=${to}&bucket=1h&groupBy=customer&between=ordered,fulfilled`);
      expect(r.status).toBe(200);
      const amounts = orders.map((o) => o.amount);
      const waits = (list: Order[]) =>
        list.map((o) => {
          const a = activities.get(o.correlationId!);
          const at = (name: string) => Date.parse(a.milestones.find((m: any) => m.milestone === name).at);
          return at('fulfilled') - at('ordered');
        });
      const all = waits(orders);
      expect(r.body.total).toMatchObject({
        count: orderCount,
        milestones: { ordered: orderCount, decided: orderCount, fulfilled: orderCount },
        between: { count: orderCount, p50: nearestRank(all, 50), p95: nearestRank(all, 95), min: Math.min(...all), max: Math.max(...all) },
      });
      expect(r.body.total.fields.amount).toEqual({ count: orderCount, sum: sum(amounts), min: 1, max: 15, avg: sum(amounts) / orderCount });
      expect(r.body.total.fields.customer.sum).toBe(sum(orders.map((o) => o.customerId)));
      expect(r.body.total.fields.product.sum).toBe(sum(orders.map((o) => o.productId)));
      expect(r.body.total.fields.orderId.sum).toBe(sum([...activities.values()].map((a) => a.fields.orderId)));
      // One bucket (the run is shorter than an hour): the same figures.
      expect(r.body.buckets).toHaveLength(1);
      expect(r.body.buckets[0]).toMatchObject({ count: orderCount, fields: { amount: { sum: sum(amounts) } } });

      const customers = [...new Set(orders.map((o) => o.customerId))].sort();
      expect(r.body.total.groups.map((g: any) => g.value)).toEqual(customers.map(String));
      for (const g of r.body.total.groups) {
        const mine = orders.filter((o) => String(o.customerId) === g.value);
        const w = waits(mine);
        expect(g).toMatchObject({
          count: mine.length,
          milestones: { ordered: mine.length, decided: mine.length, fulfilled: mine.length },
          fields: { amount: { count: mine.length, sum: sum(mine.map((o) => o.amount)) } },
          between: { count: mine.length, p50: nearestRank(w, 50), p95: nearestRank(w, 95) },
        });
      }
    });

    it('groups by the decision outcome: orders of more than 10 items are cancelled', async () => {
      const r = await get(`/activities?itinerary=orders&from=${from}&to=${to}&bucket=1h&groupBy=outcome&between=ordered,decided`);
      const cancelled = orders.filter((o) => o.amount > 10);
      expect(r.body.total.groups.map((g: any) => [g.value, g.count, g.fields.amount.sum])).toEqual([
        ['OrderCanceled', cancelled.length, sum(cancelled.map((o) => o.amount))],
        ['OrderPurchased', orderCount - cancelled.length, sum(orders.filter((o) => o.amount <= 10).map((o) => o.amount))],
      ]);
      // Amounts cycle 1..15: a third of them are more than 10.
      expect(cancelled.length).toBe(orderCount / 3);
    });

    it('places activities in buckets by their first milestone in the queried itinerary', async () => {
      const bucketMs = 1000;
      const r = await get(`/activities?itinerary=order-fulfilment&from=${from}&to=${to}&bucket=1s`);
      const expected = new Map<number, number>();
      for (const a of activities.values()) {
        const t = Date.parse(a.milestones.find((m: any) => m.itinerary === 'order-fulfilment').at);
        const k = Math.floor((t - from) / bucketMs);
        expected.set(k, (expected.get(k) ?? 0) + 1);
      }
      const got = new Map<number, number>();
      r.body.buckets.forEach((b: any, i: number) => b.count && got.set(i, b.count));
      expect(got).toEqual(expected);
      expect(r.body.total.milestones).toEqual({ ordered: orderCount, decided: orderCount, fulfilled: orderCount });
    });

    it('answers bad queries with problem+json codes', async () => {
      const cases: Array<[string, number, string]> = [
        ['/activities?itinerary=orders&between=ordered,shipped', 400, 'UNKNOWN_MILESTONE'],
        ['/activities?itinerary=orders&between=ordered', 400, 'BAD_REQUEST'],
        ['/activities?itinerary=orders&groupBy=colour', 400, 'UNKNOWN_TRACKED_FIELD'],
        ['/activities?itinerary=orders&bucket=1w', 400, 'BAD_BUCKET'],
        ['/activities?itinerary=orders&bucket=1s&from=0', 400, 'RANGE_TOO_LARGE'],
        ['/activities?itinerary=orders&from=yesterday', 400, 'BAD_REQUEST'],
        ['/activities?itinerary=nope', 404, 'ITINERARY_NOT_FOUND'],
        ['/activities', 400, 'BAD_REQUEST'],
        ['/activities/no-such-correlation-id', 404, 'ACTIVITY_NOT_FOUND'],
      ];
      for (const [path, status, code] of cases) {
        const r = await get(path);
        expect([path, r.status, r.body.code]).toEqual([path, status, code]);
        expect(r.headers.get('content-type')).toContain('application/problem+json');
      }
      const declared = await get('/activities?itinerary=orders');
      expect(declared.body.declared).toEqual({
        milestones: ['decided', 'fulfilled', 'ordered'],
        fields: ['amount', 'customer', 'orderId', 'outcome', 'product'],
      });
    });

    it('is for operators only', async () => {
      expect((await get('/activities?itinerary=orders', null)).status).toBe(401);
      expect((await get(`/activities/${orders[0].correlationId}`, 'not-the-token')).status).toBe(401);
    });
  });
}

// No ORDERS_ENDPOINT_URL: orders are routed to the orders.fulfilment queue, where order-fulfilment marks `fulfilled`.
describeBam('embedded bus, memory store', 300, () => startTestBus({ env: { ITINERA_ADMIN_TOKEN: TOKEN } }));

// Gateway and workers as separate processes: milestones written by each, kept in Redis, read from the gateway.
describeBam('BullMQ, gateway and two workers, Redis store', 150, async () => {
  const cluster = await startCluster({ gateways: 1, workers: 2, env: { ITINERA_ADMIN_TOKEN: TOKEN } });
  return { url: cluster.gateways[0].url, close: () => cluster.stop() };
});
