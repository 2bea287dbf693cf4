import { describe, expect, it } from 'vitest';
import { describeActivityStore } from './activity.conformance';
import { MemoryActivityStore } from './memory.activity-store';
import { nearestRank } from './activity-aggregate';

describeActivityStore('memory', async (opts) => new MemoryActivityStore(opts));

describe('memory activity store', () => {
  it('forgets an activity a retention period after its latest milestone', async () => {
    let now = 1_000_000;
    const s = new MemoryActivityStore({ retentionMs: 1000, now: () => now });
    await s.record({ correlationId: 'c', itinerary: 'i', milestone: 'm', at: new Date(now).toISOString(), fields: {} });
    now += 999;
    expect(await s.get('c')).toBeDefined();
    now += 1;
    expect(await s.get('c')).toBeUndefined();
  });

  it('takes nearest-rank percentiles: the value at rank ceil(p/100 * n)', () => {
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect([nearestRank(ten, 50), nearestRank(ten, 95), nearestRank(ten, 100), nearestRank([7], 50)]).toEqual([5, 10, 10, 7]);
    const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
    expect([nearestRank(twenty, 50), nearestRank(twenty, 95)]).toEqual([10, 19]);
  });
});
