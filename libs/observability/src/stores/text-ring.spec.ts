import { describe, expect, it } from 'vitest';
import { TextRing, hashOf } from './text-ring';

const FOREVER = Infinity;

describe('TextRing', () => {
  it('keeps an entry as its first segment and the ones appended, in order', () => {
    const ring = new TextRing(10, 1 << 20);
    ring.set('a', '{"x":1}', FOREVER);
    expect(ring.append('a', 'second', FOREVER)).toBe(true);
    expect(ring.append('a', 'third ✓ ünïcode', FOREVER)).toBe(true);
    expect(ring.get('a')).toEqual(['{"x":1}', 'second', 'third ✓ ünïcode']);
    expect(ring.append('nope', 'x', FOREVER)).toBe(false);
    expect(ring.get('nope')).toBeUndefined();
    ring.set('a', 'fresh', FOREVER);
    expect(ring.get('a')).toEqual(['fresh']);
    ring.delete('a');
    expect(ring.get('a')).toBeUndefined();
    expect(ring.size).toBe(0);
  });

  it('forgets an entry after its expiry, which an append moves', () => {
    const ring = new TextRing(10, 1 << 20);
    ring.set('a', '1', 1000);
    expect(ring.get('a', 999)).toEqual(['1']);
    expect(ring.append('a', '2', 2000, 999)).toBe(true);
    expect(ring.get('a', 1500)).toEqual(['1', '2']);
    expect(ring.get('a', 2000)).toBeUndefined();
    expect(ring.size).toBe(0);
  });

  it('keeps at most maxEntries keys, dropping the oldest first written', () => {
    const ring = new TextRing(3, 1 << 20);
    for (const k of ['a', 'b', 'c']) ring.set(k, k, FOREVER);
    ring.append('a', 'a2', FOREVER); // an append does not make it younger: it was accepted first
    ring.set('d', 'd', FOREVER);
    expect(ring.get('a')).toBeUndefined();
    expect(['b', 'c', 'd'].map((k) => ring.get(k)?.[0])).toEqual(['b', 'c', 'd']);
    expect(ring.size).toBe(3);
  });

  it('tells apart keys whose hashes collide', () => {
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const k = `key-${i}`;
      const other = seen.get(hashOf(k));
      if (other) pair = [other, k];
      else seen.set(hashOf(k), k);
    }
    const ring = new TextRing(10, 1 << 20);
    ring.set(pair[0], 'first', FOREVER);
    ring.set(pair[1], 'second', FOREVER);
    expect(ring.get(pair[0])).toEqual(['first']);
    expect(ring.get(pair[1])).toEqual(['second']);
    ring.delete(pair[0]);
    expect(ring.get(pair[0])).toBeUndefined();
    expect(ring.get(pair[1])).toEqual(['second']);
  });

  it('matches a reference model over 30 000 random operations, across wrap-arounds', () => {
    // Small ring and count limit: both limits bite, the ring wraps hundreds of times.
    const ring = new TextRing(40, 64 * 1024);
    const model = new Map<string, string[]>(); // insertion order = first-write order
    let seed = 11;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 30_000; i++) {
      const k = `m-${rnd(90)}`;
      const op = rnd(10);
      if (op < 4) {
        const text = `put ${i} ${'x'.repeat(rnd(600))}`;
        ring.set(k, text, FOREVER);
        model.delete(k);
        model.set(k, [text]);
        while (model.size > 40) model.delete(model.keys().next().value!);
      } else if (op < 8) {
        const text = `upd ${i} ${'y'.repeat(rnd(300))}`;
        const had = model.has(k);
        const ok = ring.append(k, text, FOREVER);
        if (ok) model.get(k)!.push(text);
        // The ring may have had to drop the entry to make room: never the other way round.
        if (!had) expect(ok).toBe(false);
        if (had && !ok) model.delete(k);
      } else if (op < 9) {
        ring.delete(k);
        model.delete(k);
      } else {
        const got = ring.get(k);
        if (got === undefined) model.delete(k);
        else expect(got).toEqual(model.get(k));
      }
      // An append that failed for room, or a get, may have found the entry gone: sync the model.
      if (!ring.get(k)) model.delete(k);
      // Byte pressure drops oldest entries the model keeps: an entry is complete or gone, never partial.
      if (i % 20 !== 0) continue;
      for (const key of [...model.keys()]) {
        const got = ring.get(key);
        if (got === undefined) model.delete(key);
        else expect(got).toEqual(model.get(key));
      }
    }
    expect(ring.size).toBe(model.size);
    expect(model.size).toBeGreaterThan(5);
  });

  it('grows for a segment larger than a quarter of the ring, and keeps what it had', () => {
    const ring = new TextRing(100, 64 * 1024);
    for (let i = 0; i < 20; i++) ring.set(`k${i}`, `v${i}`, FOREVER);
    ring.append('k3', 'tail', FOREVER);
    const big = 'z'.repeat(200_000);
    ring.set('big', big, FOREVER);
    expect(ring.get('big')).toEqual([big]);
    expect(ring.get('k3')).toEqual(['v3', 'tail']);
    expect(ring.get('k19')).toEqual(['v19']);
  });

  it('grows after it wrapped around, keeping every entry whole and in order', () => {
    const ring = new TextRing(10_000, 64 * 1024);
    const kept = new Map<string, string[]>();
    // Fill past the end several times: the live region now spans the physical end.
    for (let i = 0; i < 500; i++) {
      const k = `w${i}`;
      ring.set(k, `${k}:${'p'.repeat(300)}`, FOREVER);
      kept.set(k, [`${k}:${'p'.repeat(300)}`]);
      if (i % 3 === 0 && ring.append(k, `${k}+`, FOREVER)) kept.get(k)!.push(`${k}+`);
    }
    const before = [...kept.keys()].filter((k) => ring.get(k) !== undefined);
    expect(before.length).toBeGreaterThan(50);
    ring.set('huge', 'h'.repeat(40_000), FOREVER); // more than a quarter: the ring grows
    for (const k of before.slice(-30)) expect(ring.get(k)).toEqual(kept.get(k));
    expect(ring.get('huge')).toEqual(['h'.repeat(40_000)]);
    expect(ring.append('huge', 'after', FOREVER)).toBe(true);
    expect(ring.get('huge')).toEqual(['h'.repeat(40_000), 'after']);
  });

  it('chains an append that grows the ring after evictions (tail past 0) to the right segment', () => {
    const ring = new TextRing(2, 8 * 1024 * 1024);
    for (const k of ['a', 'b', 'c']) ring.set(k, k, FOREVER); // 'a' evicted: the tail moved
    const big = 'q'.repeat(300_000); // more than a quarter of the first megabyte: grows mid-append
    expect(ring.append('c', big, FOREVER)).toBe(true);
    expect(ring.get('c')).toEqual(['c', big]);
    expect(ring.get('b')).toEqual(['b']);
  });

  it('finds a key with a lone surrogate again (stored as UTF-8, where it becomes U+FFFD)', () => {
    const ring = new TextRing(10, 1 << 20);
    ring.set('id-\ud800', 'one', FOREVER);
    ring.set('id-\ud800', 'two', FOREVER);
    expect(ring.size).toBe(1);
    expect(ring.get('id-\ud800')).toEqual(['two']);
  });

  it('grows from its first megabyte up to maxBytes as it fills, then drops the oldest', () => {
    const ring = new TextRing(1_000_000, 4 * 1024 * 1024);
    const text = 'r'.repeat(1000);
    for (let i = 0; i < 10_000; i++) ring.set(`id-${i}`, text, FOREVER);
    // About 4 MB of 1 KB records: the newest ~4 000 stay, the oldest went.
    expect(ring.get('id-0')).toBeUndefined();
    expect(ring.get('id-9999')).toEqual([text]);
    expect(ring.size).toBeGreaterThan(3500);
    expect(ring.size).toBeLessThan(4200);
  });
});
