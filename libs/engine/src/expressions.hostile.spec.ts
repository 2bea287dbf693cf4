import jsonata from 'jsonata';
import { afterAll, describe, expect, it } from 'vitest';
import { ItineraError } from '@itinera/core';
import { checkExpression, Expressions } from './expressions';
import { failure } from './test-facts';

async function timed<T>(f: () => Promise<T>): Promise<[T | ItineraError, number]> {
  const t = performance.now();
  const r = await f().catch((err: ItineraError) => err);
  return [r, performance.now() - t];
}

const EVIL = '$contains(s, /^(a+)+$/)';
const BENIGN = '$contains(s, /^a+$/)';
const attack = { s: 'a'.repeat(28) + 'b' };
// Two copies of a structure whose parts are shared 2^24 times: jsonata's own `=` walks every copy.
const SHARED = "($mk := function() { $reduce([1..24], function($acc, $i) { { 'a': $acc, 'b': $acc } }, 'x') }; $mk() = $mk())";
// A long native call: a million regex matches inside one jsonata $split (seconds without the engine's own time check).
const LONG_NATIVE = '$count($split(s, /a/))';
const MILLION = { s: 'a'.repeat(1_000_000) };

describe('Expressions against hostile input', () => {
  const ex = new Expressions(undefined, { maxString: 100_000, maxSequence: 50_000 });

  it('runs regular expressions in linear time: a catastrophic pattern costs about what a benign one does', async () => {
    await ex.evaluate(BENIGN, attack); // compile both before timing
    await ex.evaluate(EVIL, { s: 'a' });
    const [evil, tEvil] = await timed(() => ex.evaluate(EVIL, attack));
    const [benign, tBenign] = await timed(() => ex.evaluate(BENIGN, attack));
    expect(evil).toBe(false);
    expect(benign).toBe(false);
    // Backtracking takes 2^28 steps here (seconds); linear matching is the same order as the benign pattern.
    expect(tEvil).toBeLessThan(Math.max(50, tBenign * 20));
  });

  it.each([
    "$match('2024-05 and 2025-11', /(\\d{4})-(\\d\\d)/)",
    "$match('ab', /(x)?b/)",
    "$replace('a-b-c', /-(\\w)/, '[$1]')",
    "$replace('aaa', /a/, 'b', 2)",
    "$replace('John Smith', /(\\w+)\\s(\\w+)/, '$2, $1')",
    "$split('a1b22c', /\\d+/)",
    "$contains('Hello', /hel/i)",
    "$match('x\\nab', /^a/m).index",
    "$match('😀 é1', /\\d/).index",
    "$match('2024-05-06', /(?<y>\\d{4})-(?<m>\\d\\d)/).groups",
    "$replace('a.b.c', /\\./, '/')",
    "'abc' ~> $replace(/[^a]/, 'x')",
  ])('answers %s as jsonata with JavaScript regexes does', async (source) => {
    const json = (v: unknown) => JSON.parse(JSON.stringify(v) ?? 'null') as unknown;
    expect(json(await ex.evaluate(source, {}))).toEqual(json(await jsonata(source).evaluate({})));
  });

  it('refuses regex syntax without a linear-time form when compiling, naming it', async () => {
    expect(checkExpression('$match(s, /(a)\\1/)')).toMatch(/regular expression \/\(a\)\\1\/ at position \d+ is not supported by the linear-time engine/);
    const err = await failure(ex.evaluate('$contains(s, /a(?=b)/)', { s: 'ab' }));
    expect(err.code).toBe('EXPRESSION_FAILED');
    expect(err.message).toMatch(/does not compile: regular expression .* lookaround/);
  });

  it.each([
    ["$pad('', 200000000)", /\$pad would be 200000000 characters long, more than ITINERA_JSONATA_MAX_STRING \(100000\)/],
    ["$length($pad('', 1e8, 'ab'))", /\$pad would be 100000000 characters/],
    ["$reduce([1..40], function($a, $i) { $a & $a }, 'x')", /a string would be \d+ characters long/],
    ["$join([1..1000].$pad('', 1000))", /\$join would be \d+ characters long/],
    ["$replace($pad('', 50000, 'a'), 'a', $pad('', 100, 'b'))", /\$replace would be \d+ characters long/],
    ["$replace($pad('', 5000, 'a'), /a/, '$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0$0')", /\$replace would be/],
    ["$string($reduce([1..30], function($a, $i) { { 'a': $a, 'b': $a } }, 'x'))", /\$string would be \d+ characters long/],
    ["$reduce([1..30], function($a, $i) { { 'a': $a, 'b': $a } }, 'x')", /the result would be more than \d+ characters as JSON/],
    ["$reduce([1..30], function($a, $i) { { 'a': $a, 'b': $a } }, 'x') ~> | $ | {'c': 1} |", /the copy a transform makes/],
    ['[1..100000]', /a sequence would hold 100000 items, more than ITINERA_JSONATA_MAX_ITEMS \(50000\)/],
    ['$count([1..40000] ~> $append([1..40000]))', /an array would hold 80000 items|sequence would hold/],
    ["$count([1..60].$pad('', 90000))", /built-in functions produced more than 1600000 characters/],
    ['$eval("$pad(\'\', 1e9)")', /\$pad would be 1000000000 characters/],
  ])('stops %s with EXPRESSION_LIMIT before it allocates', async (source, message) => {
    const err = await failure(ex.evaluate(source, {}));
    expect(err).toBeInstanceOf(ItineraError);
    expect(err.code).toBe('EXPRESSION_LIMIT');
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/^expression ".*" was stopped: /);
  });

  it('bounds the items that steps without a range yield in total, flattened into one result', async () => {
    const err = await failure(ex.evaluate('$count(a.($$.a))', { a: Array.from({ length: 2000 }, (_, i) => i) }));
    expect(err.code).toBe('EXPRESSION_LIMIT');
    expect(err.message).toMatch(/steps yielded more than 800000 items in one evaluation \(16 x ITINERA_JSONATA_MAX_ITEMS\)/);
    expect(await ex.evaluate('$count(a.($$.a))', { a: Array.from({ length: 200 }, (_, i) => i) })).toBe(40_000);
  });

  it('leaves ordinary sizes alone: a body-sized string through $pad, $join, $replace and $string', async () => {
    const s = 'x'.repeat(90_000);
    expect(await ex.evaluate('$length($pad(s, 95000, "ab"))', { s })).toBe(95_000);
    expect(await ex.evaluate('$length($join([s, "y"], "-"))', { s })).toBe(90_002);
    expect(await ex.evaluate('$length($replace(s, "x", "y"))', { s })).toBe(90_000);
    expect(await ex.evaluate('$length($string({"s": s}))', { s })).toBe(90_008);
    expect(await ex.evaluate('$pad("7", -3, "0")', {})).toBe('007');
    expect(await ex.evaluate('$pad("ab", 6, "😀x")', {})).toBe('ab😀x😀x');
  });

  it('gives the event loop turns during a long evaluation', async () => {
    const slow = new Expressions(undefined, { timeoutMs: 5000 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t = performance.now();
    let ticksAtEnd = 0;
    try {
      await slow.evaluate('$reduce([1..100000], function($a, $i) { $a + $i }, 0)', {});
      ticksAtEnd = ticks;
    } finally {
      clearInterval(timer);
    }
    // Timers ran while it evaluated: about one per 10 ms slice it took.
    expect(ticksAtEnd).toBeGreaterThanOrEqual(Math.min(3, Math.floor((performance.now() - t) / 20)));
    expect(ticksAtEnd).toBeGreaterThan(0);
  });

  it('compares structures with shared parts in time linear in their distinct parts', async () => {
    expect(await ex.evaluate(SHARED, {})).toBe(true);
    expect(await ex.evaluate(SHARED.replace('$mk() = $mk()', '$mk() != $mk()'), {})).toBe(false);
    const tight = new Expressions(undefined, { maxString: 1000 });
    const err = await failure(tight.evaluate('a = b', { a: Array.from({ length: 20_000 }, () => [1]), b: Array.from({ length: 20_000 }, () => [1]) }));
    expect(err.code).toBe('EXPRESSION_LIMIT');
    expect(err.message).toMatch(/comparing with = would visit more than 16000 values/);
  });

  it('reports an allocation V8 refuses as a size limit, not as depth', async () => {
    // With the string limit above what V8 can hold, V8's own RangeError is what stops it.
    const huge = new Expressions(undefined, { maxString: 1e9 });
    const err = await failure(huge.evaluate("$reduce([1..40], function($a, $i) { $a & $a }, 'x')", {}));
    expect(err.code).toBe('EXPRESSION_LIMIT');
    expect(err.message).toMatch(/grew past what one JavaScript value may hold \(Invalid string length\)/);
  });
});

describe('Regex matching inside one native call', () => {
  it('stops a million matches of one literal at the time limit, on the event loop', async () => {
    const ex = new Expressions(undefined, { timeoutMs: 200 });
    const err = await failure(ex.evaluate(LONG_NATIVE, MILLION));
    expect(err.code).toBe('EXPRESSION_TIMEOUT');
    // Short strings are unaffected: the same literal over a few matches answers.
    expect(await ex.evaluate(LONG_NATIVE, { s: 'aaa' })).toBe(4);
  });
});

describe('Expressions in evaluation threads (isolation "thread")', () => {
  const ex = new Expressions(undefined, { timeoutMs: 400, maxString: 1_000_000 }, { isolation: 'thread', workers: 1, workerMemoryMb: 32 });
  afterAll(() => ex.close());

  it('evaluates like the event loop does, built-ins included', async () => {
    expect(await ex.evaluate('{ "a": n * 2, "u": $length($uuid()), "r": $replace(s, /b+/, "-") }', { n: 21, s: 'abbbc' })).toEqual({ a: 42, u: 36, r: 'a-c' });
  });

  it('stops one long native call, and the next evaluation runs', async () => {
    const err = await failure(ex.evaluate(LONG_NATIVE, MILLION));
    expect(err.code).toBe('EXPRESSION_TIMEOUT');
    // The regex engine's own time check, or the thread's termination, whichever comes first.
    expect(err.message).toMatch(/ran longer than 400 ms/);
    expect(await ex.evaluate('1 + 1', {})).toBe(2);
  });

  it('reports the in-thread guards by their cause', async () => {
    expect((await failure(ex.evaluate("$pad('', 1e9)", {}))).code).toBe('EXPRESSION_LIMIT');
    expect((await failure(ex.evaluate('($loop := function($n) { $loop($n + 1) }; $loop(0))', {}))).code).toBe('EXPRESSION_TIMEOUT');
    expect((await failure(ex.evaluate('"a" + 1', {}))).message).toMatch(/failed at position \d+: .*must evaluate to a number/);
  });

  it('stops an evaluation past its heap with EXPRESSION_LIMIT', async () => {
    // Ten million numbers in one sequence: within the items limit set here, not within 32 MB of heap.
    const big = new Expressions(undefined, { timeoutMs: 20_000, maxSequence: 1e8 }, { isolation: 'thread', workers: 1, workerMemoryMb: 32 });
    try {
      const err = await failure(big.evaluate('$count([1..100].[1..100000])', {}));
      expect(err.code).toBe('EXPRESSION_LIMIT');
      expect(err.message).toMatch(/heap of its evaluation thread/);
      expect(await big.evaluate('"still here"', {})).toBe('still here');
    } finally {
      await big.close();
    }
  });
});
