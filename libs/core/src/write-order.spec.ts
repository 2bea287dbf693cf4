import { describe, expect, it } from 'vitest';
import { WriteOrder } from './write-order';

/** A tiny cache on WriteOrder, as BoundedMap and RecentIds use it. */
function cache(capacity: number) {
  const map = new Map<string, number>();
  const order = new WriteOrder();
  const isCurrent = (k: string, seq: number) => map.get(k) === seq;
  return {
    map,
    order,
    set(k: string) {
      map.set(k, order.wrote(k));
      while (map.size > capacity) map.delete(order.oldest(isCurrent)!);
      order.prune(map.size, isCurrent);
    },
    length: () => (order as unknown as { keys: string[]; head: number }).keys.length - (order as unknown as { head: number }).head,
  };
}

describe('WriteOrder', () => {
  it('evicts by last write: a rewritten key is the newest, a deleted key is skipped', () => {
    const c = cache(3);
    for (const k of ['a', 'b', 'c']) c.set(k);
    c.set('a');
    c.map.delete('b');
    c.set('d');
    c.set('e');
    expect([...c.map.keys()].sort()).toEqual(['a', 'd', 'e']);
    c.set('f');
    expect([...c.map.keys()].sort()).toEqual(['d', 'e', 'f']);
  });

  it('matches a reference model over 20 000 random writes and deletes', () => {
    const c = cache(50);
    const model: string[] = []; // oldest first
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      const k = `k${rnd(120)}`;
      if (rnd(10) === 0) {
        c.map.delete(k);
        const at = model.indexOf(k);
        if (at >= 0) model.splice(at, 1);
        continue;
      }
      c.set(k);
      const at = model.indexOf(k);
      if (at >= 0) model.splice(at, 1);
      model.push(k);
      if (model.length > 50) model.shift();
    }
    expect([...c.map.keys()].sort()).toEqual([...model].sort());
  });

  it('keeps its log bounded when the same few keys are rewritten forever', () => {
    const c = cache(1000);
    for (let i = 0; i < 100_000; i++) c.set(`k${i % 10}`);
    expect(c.map.size).toBe(10);
    expect(c.length()).toBeLessThanOrEqual(1024);
  });

  it('keeps its log bounded under steady eviction', () => {
    const c = cache(100);
    for (let i = 0; i < 100_000; i++) c.set(`k${i}`);
    expect(c.map.size).toBe(100);
    expect(c.length()).toBeLessThanOrEqual(2048);
  });
});
