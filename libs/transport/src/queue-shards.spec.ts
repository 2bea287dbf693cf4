import { describe, expect, it } from 'vitest';
import { MAX_QUEUE_SHARDS, assertQueueShards, perShardConcurrency, shardName, shardNames, shardOf } from './queue-shards';
import { SharedSlots } from './shared-slots';

describe('queue shards', () => {
  it('keeps the logical name for shard 0, so one shard is the queue as it was', () => {
    expect(shardNames('itinera.work', 1)).toEqual(['itinera.work']);
    expect(shardNames('itinera.work', 3)).toEqual(['itinera.work', 'itinera.work.s1', 'itinera.work.s2']);
    expect(shardName('itinera.work', 0)).toBe('itinera.work');
  });

  it('chooses by the ordering key when there is one, else by the id', () => {
    for (let i = 0; i < 50; i++) expect(shardOf('session-7', `id-${i}`, 8)).toBe(shardOf('session-7', 'other', 8));
    expect(shardOf(undefined, 'msg-1', 8)).toBe(shardOf('msg-1', 'ignored', 8));
    expect(shardOf('anything', 'x', 1)).toBe(0);
  });

  it('is stable across processes and versions (fixed FNV-1a values)', () => {
    // Changing these moves sessions between shards: a deployed cluster would lose their order.
    expect(['a', 'session-1', 'duplex:3f2a', 'msg-42'].map((k) => shardOf(k, k, 8))).toEqual(
      ['a', 'session-1', 'duplex:3f2a', 'msg-42'].map((k) => fnv1a(k) % 8),
    );
    expect(shardOf('a', 'a', 8)).toBe(0xe40c292c % 8);
  });

  it('spreads keys evenly over the shards', () => {
    for (const n of [2, 3, 8, 24]) {
      const counts = new Array<number>(n).fill(0);
      const total = 1000 * n;
      for (let i = 0; i < total; i++) counts[shardOf(`session-${i}`, '', n)]!++;
      for (const c of counts) {
        expect(c).toBeGreaterThan(850);
        expect(c).toBeLessThan(1150);
      }
    }
  });

  it('divides the concurrency, at least one per shard', () => {
    expect(perShardConcurrency(16, 8)).toBe(2);
    expect(perShardConcurrency(16, 3)).toBe(6);
    expect(perShardConcurrency(1, 8)).toBe(1);
  });

  it('refuses a shard count out of range with INVALID_OPTION', () => {
    expect(() => assertQueueShards({ q: 0 })).toThrow(/from 1 to/);
    expect(() => assertQueueShards({ q: MAX_QUEUE_SHARDS + 1 })).toThrow(/from 1 to/);
    expect(() => assertQueueShards({ q: 1.5 })).toThrow(/from 1 to/);
    expect(() => assertQueueShards({ q: 4 })).not.toThrow();
  });
});

describe('SharedSlots', () => {
  it('runs at most its size at once, across every caller', async () => {
    const slots = new SharedSlots(3);
    let running = 0;
    let peak = 0;
    const runs = Array.from({ length: 10 }, () =>
      slots.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 2));
        running--;
      }),
    );
    await Promise.all(runs);
    expect(peak).toBe(3);
  });

  it('frees the slot when the run throws', async () => {
    const slots = new SharedSlots(1);
    await expect(slots.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(slots.run(async () => 'next')).resolves.toBe('next');
  });
});

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
