import { afterEach, describe, expect, it } from 'vitest';
import type { ActivityStore, MilestoneEvent } from '@itinera/core';

/** Shared behaviour of the activity stores: memory and Redis run the same tests. */
export type ActivityStoreFactory = (opts: { maxActivities?: number; queryMax?: number }) => Promise<ActivityStore>;

let n = 0;
const uid = (what: string) => `${what}-${process.pid}-${Date.now().toString(36)}-${++n}`;

const HOUR = 3600_000;
/** A whole hour a day ago: inside any retention, so no store trims the data by age. */
const T0 = Math.floor(Date.now() / HOUR) * HOUR - 24 * HOUR;
const at = (ms: number) => new Date(T0 + ms).toISOString();

const event = (
  correlationId: string,
  itinerary: string,
  milestone: string,
  ms: number,
  fields: Record<string, unknown> = {},
  messageId = `m-${correlationId}`,
): MilestoneEvent => ({
  correlationId,
  itinerary,
  milestone,
  at: at(ms),
  messageId,
  fields,
});

export function describeActivityStore(name: string, factory: ActivityStoreFactory): void {
  describe(`activity store: ${name}`, () => {
    const open: ActivityStore[] = [];
    const make = async (opts: Parameters<ActivityStoreFactory>[0] = {}) => {
      const s = await factory(opts);
      open.push(s);
      return s;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });

    it('follows one correlation id across itineraries: milestones in time order, fields merged, times between', async () => {
      const s = await make();
      const c = uid('c');
      // Recorded out of order (a worker may finish a later step first): the activity is in time order.
      await s.record(event(c, 'order-fulfilment', 'fulfilled', 5000, { orderId: 9 }, 'm-2'));
      await s.record(event(c, 'orders', 'ordered', 0, { amount: 3, customer: 42 }));
      await s.record(event(c, 'orders', 'decided', 1200, { outcome: 'OrderPurchased' }));
      const a = (await s.get(c))!;
      expect(a.correlationId).toBe(c);
      expect(a.milestones.map((m) => [m.itinerary, m.milestone])).toEqual([
        ['orders', 'ordered'],
        ['orders', 'decided'],
        ['order-fulfilment', 'fulfilled'],
      ]);
      expect(a.startedAt).toBe(at(0));
      expect(a.updatedAt).toBe(at(5000));
      expect(a.itineraries).toEqual(['orders', 'order-fulfilment']);
      expect(a.fields).toEqual({ amount: 3, customer: 42, outcome: 'OrderPurchased', orderId: 9 });
      expect(a.intervals).toEqual([
        { from: 'ordered', to: 'decided', ms: 1200 },
        { from: 'decided', to: 'fulfilled', ms: 3800 },
      ]);
      expect(await s.get(uid('none'))).toBeUndefined();
    });

    it('counts a milestone recorded twice for one message (a redelivery) once', async () => {
      const s = await make();
      const c = uid('c');
      const it = uid('it');
      await s.record(event(c, it, 'ordered', 0, { amount: 2 }));
      await s.record(event(c, it, 'ordered', 10, { amount: 2 }));
      expect((await s.get(c))!.milestones).toHaveLength(1);
      const agg = await s.aggregate({ itinerary: it, fromMs: T0, toMs: T0 + HOUR, bucketMs: HOUR });
      expect(agg.total).toMatchObject({ count: 1, milestones: { ordered: 1 }, fields: { amount: { count: 1, sum: 2 } } });
    });

    it('aggregates exactly per bucket and group: counts, milestone counts, sums, min/max/avg, nearest-rank p50/p95', async () => {
      const s = await make();
      const it = uid('orders');
      // Bucket 0 (10:00-11:00): 4 activities; bucket 1: 2; one before and one after the range.
      const rows: Array<[number, number, string, number | undefined]> = [
        // [start ms, amount, customer, ms from ordered to fulfilled (undefined: never fulfilled)]
        [0, 5, 'a', 100],
        [60_000, 7, 'b', 300],
        [120_000, 11, 'a', 200],
        [180_000, 1, 'a', undefined],
        [HOUR + 1, 2, 'b', 400],
        [2 * HOUR - 1, 4, 'a', 1000],
      ];
      for (const [start, amount, customer, d] of rows) {
        const c = uid('c');
        await s.record(event(c, it, 'ordered', start, { amount, customer }));
        if (d !== undefined) await s.record(event(c, 'fulfil', 'fulfilled', start + d, { amount: amount + 0 }, `f-${c}`));
      }
      await s.record(event(uid('c'), it, 'ordered', -1, { amount: 100, customer: 'a' }));
      await s.record(event(uid('c'), it, 'ordered', 2 * HOUR, { amount: 100, customer: 'a' }));
      // Only in another itinerary: not an activity of `it`.
      await s.record(event(uid('c'), 'fulfil', 'fulfilled', 10, { amount: 100 }));

      const agg = await s.aggregate({ itinerary: it, fromMs: T0, toMs: T0 + 2 * HOUR, bucketMs: HOUR, groupBy: 'customer', between: ['ordered', 'fulfilled'] });
      expect(agg).toMatchObject({
        itinerary: it,
        from: at(0),
        to: at(2 * HOUR),
        bucketMs: HOUR,
        groupBy: 'customer',
        between: { from: 'ordered', to: 'fulfilled' },
      });
      expect(agg.total).toEqual({
        count: 6,
        milestones: { ordered: 6, fulfilled: 5 },
        fields: { amount: { count: 6, sum: 30, min: 1, max: 11, avg: 5 } },
        // Nearest rank over [100, 200, 300, 400, 1000]: p50 = rank 3, p95 = rank 5.
        between: { count: 5, p50: 300, p95: 1000, min: 100, max: 1000 },
        groups: [
          {
            value: 'a',
            count: 4,
            milestones: { ordered: 4, fulfilled: 3 },
            fields: { amount: { count: 4, sum: 21, min: 1, max: 11, avg: 5.25 } },
            between: { count: 3, p50: 200, p95: 1000, min: 100, max: 1000 },
          },
          {
            value: 'b',
            count: 2,
            milestones: { ordered: 2, fulfilled: 2 },
            fields: { amount: { count: 2, sum: 9, min: 2, max: 7, avg: 4.5 } },
            between: { count: 2, p50: 300, p95: 400, min: 300, max: 400 },
          },
        ],
      });
      expect(agg.buckets.map((b) => [b.start, b.end, b.count, b.milestones, b.fields.amount?.sum, b.between])).toEqual([
        [at(0), at(HOUR), 4, { ordered: 4, fulfilled: 3 }, 24, { count: 3, p50: 200, p95: 300, min: 100, max: 300 }],
        [at(HOUR), at(2 * HOUR), 2, { ordered: 2, fulfilled: 2 }, 6, { count: 2, p50: 400, p95: 1000, min: 400, max: 1000 }],
      ]);
      expect(agg.buckets[0].groups!.map((g) => [g.value, g.count])).toEqual([
        ['a', 3],
        ['b', 1],
      ]);
    });

    it('answers empty buckets for a range without activities, and groups activities without the field under null', async () => {
      const s = await make();
      const it = uid('it');
      await s.record(event(uid('c'), it, 'ordered', 0, { amount: 'not a number' }));
      const agg = await s.aggregate({ itinerary: it, fromMs: T0, toMs: T0 + 3 * HOUR, bucketMs: HOUR, groupBy: 'customer' });
      expect(agg.buckets.map((b) => b.count)).toEqual([1, 0, 0]);
      expect(agg.buckets[0].fields).toEqual({});
      expect(agg.buckets[0].groups).toEqual([{ value: null, count: 1, milestones: { ordered: 1 }, fields: {} }]);
      expect(agg.buckets[1].groups).toEqual([]);
    });

    it('refuses a range holding more activities than a query may cover: RANGE_TOO_LARGE', async () => {
      const s = await make({ queryMax: 2 });
      const it = uid('it');
      for (let i = 0; i < 3; i++) await s.record(event(uid('c'), it, 'ordered', i));
      await expect(s.aggregate({ itinerary: it, fromMs: T0, toMs: T0 + HOUR, bucketMs: HOUR })).rejects.toMatchObject({ code: 'RANGE_TOO_LARGE' });
      expect((await s.aggregate({ itinerary: it, fromMs: T0 + 1, toMs: T0 + HOUR, bucketMs: HOUR })).total.count).toBe(2);
    });

    it('stays bounded: past maxActivities the oldest activities go first', async () => {
      const s = await make({ maxActivities: 2 });
      const it = uid('it');
      const ids = [uid('c'), uid('c'), uid('c')];
      for (const [i, c] of ids.entries()) await s.record(event(c, it, 'ordered', i * 1000, { amount: i + 1 }));
      const agg = await s.aggregate({ itinerary: it, fromMs: T0, toMs: T0 + HOUR, bucketMs: HOUR });
      expect(agg.total).toMatchObject({ count: 2, fields: { amount: { sum: 5 } } });
    });
  });
}
