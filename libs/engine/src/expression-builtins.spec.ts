import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { ItineraError } from '@itinera/core';
import { Expressions } from './expressions';

/** A small deterministic generator, so a failure names its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function randomValue(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 2 ? 4 : 6));
  if (k === 0) return Math.floor(r() * 4);
  if (k === 1) return ['a', 'b', '1', ''][Math.floor(r() * 4)];
  if (k === 2) return [true, false, null][Math.floor(r() * 3)];
  if (k === 3) return Math.floor(r() * 3) / 2;
  if (k === 4) return Array.from({ length: Math.floor(r() * 3) }, () => randomValue(r, depth + 1));
  const o: Record<string, unknown> = {};
  // Keys in random order: deep equality ignores their order.
  for (const key of ['x', 'y', 'z'].sort(() => r() - 0.5)) if (r() < 0.6) o[key] = randomValue(r, depth + 1);
  return o;
}

const json = (v: unknown) => JSON.parse(JSON.stringify(v) ?? 'null') as unknown;
const ex = new Expressions();

describe('the linear built-ins', () => {
  it.each(Array.from({ length: 40 }, (_, i) => i + 1))('$distinct answers as jsonata does on random values (seed %i)', async (seed) => {
    const r = rng(seed);
    const items = Array.from({ length: 1 + Math.floor(r() * 40) }, () => randomValue(r, 0));
    // Repeat some values, as equal copies and as the same objects.
    for (let i = 0; i < 10; i++) items.push(structuredClone(items[Math.floor(r() * items.length)]), items[Math.floor(r() * items.length)]);
    const sources = ['$distinct(items)', '$distinct(items.x)', '$distinct(items[0])', 'items = items', 'items.x = items.y', 'items[0] != items[1]'];
    for (let i = 0; i < 6; i++) sources.push(`items[${i}] = items[${items.length - 1 - i}]`, `items[${i}] != items[${i + 10}]`);
    for (const source of sources) {
      expect(json(await ex.evaluate(source, { items }))).toEqual(json(await jsonata(source).evaluate({ items })));
    }
  });

  it.each(Array.from({ length: 20 }, (_, i) => i + 1))('$sort and $spread answer as jsonata does (seed %i)', async (seed) => {
    const r = rng(seed);
    const n = Array.from({ length: Math.floor(r() * 60) }, () => Math.floor(r() * 20) - 5);
    const s = n.map((x) => ['b', 'a', 'B', 'ab', ''][Math.abs(x) % 5] + String(x));
    const o = Array.from({ length: Math.floor(r() * 10) }, () => randomValue(r, 1));
    const rec = n.map((x, i) => ({ k: x, i }));
    for (const source of [
      '$sort(n)',
      '$sort(s)',
      '$sort(rec, function($a, $b) { $a.k > $b.k })',
      '$sort(rec, function($a, $b) { $a.k < $b.k })',
      '$spread(o)',
      '$spread(o[0])',
      '$spread([o, 1, [o]])',
    ]) {
      const input = { n, s, o, rec };
      expect(json(await ex.evaluate(source, input))).toEqual(json(await jsonata(source).evaluate(input)));
    }
  });

  it('keeps jsonata errors and edge cases', async () => {
    expect((await ex.evaluate('$sort(["a", 1])', {}).catch((e: ItineraError) => e)) as ItineraError).toMatchObject({ code: 'EXPRESSION_FAILED' });
    expect(await ex.evaluate('$distinct(x)', {})).toBeUndefined();
    expect(json(await ex.evaluate('$distinct([{"a": 1, "b": [2]}, {"b": [2], "a": 1}, {"a": 1}])', {}))).toEqual([{ a: 1, b: [2] }, { a: 1 }]);
    expect(await ex.evaluate('$distinct(5)', {})).toBe(5);
    expect(await ex.evaluate('$spread([{"a": 1}])', {})).toEqual(json(await jsonata('$spread([{"a": 1}])').evaluate({})));
  });

  it('runs over a 1 MB body in well under the timeout', async () => {
    const items = Array.from({ length: 150_000 }, (_, i) => (i * 7919) % 5000);
    const objects = Array.from({ length: 60_000 }, (_, i) => ({ k: i % 700 }));
    expect(await ex.evaluate('$count($distinct(items))', { items })).toBe(5000);
    expect(await ex.evaluate('$count($distinct(objects))', { objects })).toBe(700);
    expect(await ex.evaluate('$count($sort(items))', { items })).toBe(150_000);
    expect(await ex.evaluate('$count($spread(objects))', { objects })).toBe(60_000);
  });

  it.each([
    "$match('a1b22c333', /\\d+/)",
    "$match('a1b22c333', /(\\d)(\\d)?/, 2)",
    "$match('abc', /x/)",
    "$match('abc', /b/, 0)",
    "$match('aXbX', /x/i).index",
  ])('$match answers %s as jsonata does', async (source) => {
    expect(json(await ex.evaluate(source, {}))).toEqual(json(await jsonata(source).evaluate({})));
  });

  it('$match over a 1 MB string gives the event loop turns, and stops past the items limit', async () => {
    const s = 'a'.repeat(1_000_000);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const slow = new Expressions(undefined, { timeoutMs: 60_000 });
    try {
      expect(await slow.evaluate('$count($match(s, /a/, 300000))', { s })).toBe(300_000);
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
    const timeout = (await new Expressions(undefined, { timeoutMs: 100 })
      .evaluate('$count($match(s, /a/))', { s })
      .catch((e: ItineraError) => e)) as ItineraError;
    expect(timeout.code).toBe('EXPRESSION_TIMEOUT');
    const err = (await new Expressions(undefined, { maxSequence: 1000 }).evaluate('$match(s, /a/)', { s }).catch((e: ItineraError) => e)) as ItineraError;
    expect(err.code).toBe('EXPRESSION_LIMIT');
    expect(err.message).toMatch(/\$match would find more than 1000 matches/);
  });

  it('stops $distinct over values whose shared parts expand past the budget', async () => {
    const small = new Expressions(undefined, { maxString: 10_000 });
    const err = (await small
      .evaluate("$distinct([$reduce([1..20], function($a, $i) { { 'a': $a, 'b': $a } }, 'x'), 1])", {})
      .catch((e: ItineraError) => e)) as ItineraError;
    expect(err.code).toBe('EXPRESSION_LIMIT');
    expect(err.message).toMatch(/\$distinct would compare values longer than 160000 characters/);
  });
});
