import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { MAP as HOSTILE_MAP } from '../../../test/fixtures/security/hostile-map';
import { compileGuarded, isPlain } from './expression-compile';
import { DEFAULT_EXPRESSION_LIMITS } from './expression-guards';
import { plainWeight } from './expression-plain';
import { Expressions } from './expressions';

const BENCH_MAP = readFileSync(resolve(__dirname, '../../../bench/itineraries/maps/bench-to-canonical@1.0.0.jsonata'), 'utf8');

// Every hostile case of issue 9 (the hostile specs and the black-box fixture) and each
// construct that can loop or build without bound: none may skip the exit hook.
const HOSTILE = [
  HOSTILE_MAP,
  '$contains(s, /^(a+)+$/)',
  "$pad('', 200000000)",
  "$reduce([1..40], function($a, $i) { $a & $a }, 'x')",
  "$join([1..1000].$pad('', 1000))",
  "$replace($pad('', 50000, 'a'), 'a', $pad('', 100, 'b'))",
  "$string($reduce([1..30], function($a, $i) { { 'a': $a, 'b': $a } }, 'x'))",
  "$reduce([1..30], function($a, $i) { { 'a': $a, 'b': $a } }, 'x') ~> | $ | {'c': 1} |",
  '[1..100000]',
  '$count([1..40000] ~> $append([1..40000]))',
  '$eval("$pad(\'\', 1e9)")',
  '$count(a.($$.a))',
  "($mk := function() { $reduce([1..24], function($acc, $i) { { 'a': $acc, 'b': $acc } }, 'x') }; $mk() = $mk())",
  '($loop := function($n) { $loop($n + 1) }; $loop(0))',
  '$distinct(items)',
  '$sort(items)',
  '$spread(items)',
  'a & a',
  'a.%.b',
  '**.a',
  'a.*',
  'items^(x)',
  'items{x: y}',
  'a@$x.b',
  'a#$i.b',
  '$x',
  '$string(a)',
  '$split(a, " ")',
  'a ~> $uppercase',
  '$map(a, $uppercase)',
  '$lowercase',
];

describe('plain expressions (no exit hook on small inputs)', () => {
  it('finds the benchmark map and ordinary selections plain', () => {
    for (const source of [
      BENCH_MAP,
      'body.amount > 100 and body.kind = "a"',
      'items[x > 1].{"a": $lowercase(b), "n": -c}',
      '[a, b][0]',
      '$count(a) + $sum(b.c)',
    ]) {
      expect({ source, plain: plainWeight(jsonata(source).ast()) !== undefined }).toEqual({ source, plain: true });
    }
  });

  it('compiles the benchmark map with its hook-free form', () => {
    expect(isPlain(compileGuarded(BENCH_MAP, DEFAULT_EXPRESSION_LIMITS))).toBe(true);
  });

  it.each(HOSTILE)('keeps every guard for %s', (source) => {
    expect(plainWeight(jsonata(source).ast())).toBeUndefined();
    expect(isPlain(compileGuarded(source, DEFAULT_EXPRESSION_LIMITS))).toBe(false);
  });

  it('answers as the guarded form does', async () => {
    const ex = new Expressions();
    const body = { id: 'o-1', productId: 'p', amount: 150, customerId: 'c', payload: { a: [1, 2, { b: 'x' }] } };
    const guarded = await jsonata(BENCH_MAP).evaluate({ body });
    expect(await ex.evaluate(BENCH_MAP, { body })).toEqual(guarded);
    expect(
      await ex.evaluate('items[x > 1].{"a": $uppercase(b)}', {
        items: [
          { x: 2, b: 'q' },
          { x: 0, b: 'r' },
        ],
      }),
    ).toEqual({ a: 'Q' });
  });

  it('runs a plain expression over a large input with every guard: the event loop still gets turns', async () => {
    const ex = new Expressions(undefined, { timeoutMs: 10_000 });
    const items = Array.from({ length: 100_000 }, (_, i) => ({ x: i, y: i % 7 }));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const n = await ex.evaluate('$count(items[x > 5 and y = 3 and x < 1e9 and (y + 1) * 2 = 8])', { items });
      expect(n).toBe(14_285);
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
  });
});
