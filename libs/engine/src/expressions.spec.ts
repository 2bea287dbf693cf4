import { describe, expect, it } from 'vitest';
import { ItineraError } from '@itinera/core';
import { checkExpression, Expressions } from './expressions';
import { failure } from './test-facts';
import { ItineraryRegistry } from './itinerary.registry';

describe('Expressions', () => {
  const maps = new ItineraryRegistry({
    maps: [
      { name: 'greet', version: '1.0.0', source: '"hello " & name' },
      { name: 'greet', version: '1.1.0', source: '"hi " & name' },
      { name: 'broken', version: '1.0.0', source: '(\n  $x := 1;\n  $x + name\n)' },
    ],
  });

  it('evaluates inline expressions with bindings', async () => {
    const ex = new Expressions();
    expect(await ex.evaluate('a + $b', { a: 1 }, { b: 2 })).toBe(3);
  });

  it('compiles each distinct source once', async () => {
    const ex = new Expressions();
    await ex.evaluate('a', { a: 1 });
    await ex.evaluate('a', { a: 2 });
    await Promise.all([ex.evaluate('a', {}), ex.evaluate('b', {})]);
    expect(ex.cacheSize).toBe(2);
  });

  it('runs the latest map version unless one is pinned, compiling each version once', async () => {
    const ex = new Expressions(maps);
    expect(await ex.map('greet', undefined, { name: 'Ann' })).toBe('hi Ann');
    expect(await ex.map('greet', '1.0.0', { name: 'Ann' })).toBe('hello Ann');
    await ex.map('greet', '1.0.0', { name: 'Bob' });
    expect(ex.cacheSize).toBe(2);
  });

  it('$jsString prints numbers exactly as JavaScript does', async () => {
    const ex = new Expressions();
    expect(await ex.evaluate('$jsString(1/3)', {})).toBe(String(1 / 3));
    expect(await ex.evaluate('$jsString(n)', { n: 0.1 + 0.2 })).toBe(String(0.1 + 0.2));
    expect(await ex.evaluate('n.$jsString()', { n: 75 })).toBe('75');
    // The reason it exists: JSONata's own $string rounds to 15 digits.
    expect(await ex.evaluate('$string(1/3)', {})).not.toBe(String(1 / 3));
  });

  it('$uuid returns a fresh random UUID', async () => {
    const ex = new Expressions();
    const [a, b] = (await ex.evaluate('[$uuid(), $uuid()]', {})) as string[];
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
  });

  it('stops an infinite (tail) recursion with EXPRESSION_TIMEOUT', async () => {
    const ex = new Expressions(undefined, { timeoutMs: 50 });
    const err = await failure(ex.evaluate('($loop := function($n) { $loop($n + 1) }; $loop(0))', {}));
    expect(err).toBeInstanceOf(ItineraError);
    expect(err.code).toBe('EXPRESSION_TIMEOUT');
    expect(err.message).toMatch(/expression "\(\$loop := .*longer than 50 ms/);
  });

  it('stops a deep recursion at the depth limit', async () => {
    const ex = new Expressions(undefined, { maxDepth: 200 });
    const deep = '($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))';
    const err = await failure(ex.evaluate(deep, {}));
    expect(err.code).toBe('EXPRESSION_FAILED');
    expect(err.message).toMatch(/deeper than 200/);
    // A shallow recursion of the same function is fine.
    expect(await ex.evaluate(deep.replace('100000', '5'), {})).toBe(5);
  });

  it('names the expression or map and the position when evaluation fails', async () => {
    const ex = new Expressions(maps);
    const inline = await failure(ex.evaluate('"a" + 1', {}));
    expect(inline.code).toBe('EXPRESSION_FAILED');
    expect(inline.message).toMatch(/expression "\\"a\\" \+ 1" failed at position \d+: .*must evaluate to a number/);
    const map = await failure(ex.map('broken', undefined, { name: 'x' }));
    expect(map.message).toMatch(/map "broken@1.0.0" failed at line 3, column \d+/);
  });

  it('refuses syntax errors with their position, and unknown maps', async () => {
    expect(checkExpression('a +')).toMatch(/JSONata syntax error at position 3/);
    expect(checkExpression('a + b')).toBeUndefined();
    const ex = new Expressions(maps);
    expect((await failure(ex.evaluate('a +', {}))).code).toBe('EXPRESSION_FAILED');
    const missing = await failure(ex.map('nope', undefined, {}));
    expect(missing.code).toBe('MAP_NOT_FOUND');
  });
});
