import { describe, expect, it } from 'vitest';
import type { Facts, PolicyDefinition } from '@itinera/core';
import { compileFastPolicy, parseSimplePath } from './rules.fast-path';
import { PolicyEngine } from './rules-engine';

const leaf = (fact: string, path: string | undefined, operator: string, value: unknown) => ({ fact, ...(path ? { path } : {}), operator, value });

const POLICY: PolicyDefinition = {
  name: 'p',
  version: '1.0.0',
  rules: [
    { name: 'eq', conditions: { all: [leaf('body', '$.order.quantity', 'greaterThan', 10)] }, params: {} },
    { name: 'str', conditions: { any: [leaf('action', undefined, 'equal', 'Go'), leaf('action', undefined, 'in', ['A', 'B'])] }, params: {} },
    { name: 'not', priority: 5, conditions: { not: { all: [leaf('body', "$['order'].tags", 'contains', 'vip')] } }, params: {} },
    {
      name: 'num',
      conditions: { all: [leaf('body', '$.order.items[0].price', 'lessThanInclusive', 5), leaf('context', '$.n', 'greaterThanInclusive', 1)] },
      params: {},
    },
    { name: 'ne', conditions: { all: [leaf('body', '$.order.quantity', 'notEqual', 3), leaf('headers', '$.x', 'notIn', ['a'])] }, params: {} },
    { name: 'nc', conditions: { all: [leaf('body', '$.order.tags', 'doesNotContain', 'x'), leaf('env', '$.URL', 'exists', true)] }, params: {} },
    { name: 'lt', conditions: { any: [leaf('body', '$.order.quantity', 'lessThan', 2), leaf('state', '$.count', 'exists', false)] }, params: {} },
    { name: 'scalar-path', conditions: { all: [leaf('action', '$.x', 'equal', 'Go')] }, params: {} },
  ],
};

/** A small seeded generator, so a failure reproduces. */
function rng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

function randomFacts(r: () => number): Facts {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const values = [undefined, null, 0, 1, 3, 10, 11, '11', '3', 'abc', true, [], ['vip'], ['x', 'vip'], {}, { a: 1 }];
  const order = r() < 0.15 ? pick(values) : { quantity: pick(values), tags: pick(values), items: r() < 0.5 ? [{ price: pick(values) }] : pick(values) };
  return {
    body: r() < 0.1 ? pick(values) : { order },
    action: pick([undefined, 'Go', 'A', 'B', 'C']),
    headers: r() < 0.5 ? { x: pick(['a', 'b']) } : {},
    context: { n: pick(values) },
    state: r() < 0.5 ? { count: pick(values) } : {},
    message: { id: 'm', correlationId: 'c', itinerary: 'p', version: '1.0.0' },
    env: r() < 0.5 ? { URL: 'http://x' } : {},
  } as Facts;
}

describe('rules fast path', () => {
  it('decides exactly as json-rules-engine on 500 random fact sets', async () => {
    const fast = compileFastPolicy(POLICY)!;
    expect(fast).toBeDefined();
    const engine = new PolicyEngine(POLICY);
    const r = rng(42);
    for (let i = 0; i < 500; i++) {
      const facts = randomFacts(r);
      const viaEngine = (await engine.run(facts)).results.map((x) => (x.event!.params as { index: number }).index).sort((a, b) => a - b);
      const record: Record<string, unknown> = { ...facts };
      expect(fast(record), JSON.stringify(facts)).toEqual(viaEngine);
    }
  });

  it('leaves what it does not cover to the engine', () => {
    const only = (conditions: unknown): PolicyDefinition => ({
      name: 'q',
      version: '1.0.0',
      rules: [{ name: 'r', conditions: conditions as Record<string, unknown>, params: {} }],
    });
    expect(compileFastPolicy(only({ all: [{ fact: 'body', operator: 'equal', value: { fact: 'context', path: '$.x' } }] }))).toBeUndefined();
    expect(compileFastPolicy(only({ all: [{ fact: 'body', path: '$..x', operator: 'equal', value: 1 }] }))).toBeUndefined();
    expect(compileFastPolicy(only({ all: [{ fact: 'body', operator: 'not:equal', value: 1 }] }))).toBeUndefined();
    expect(compileFastPolicy(only({ all: [{ condition: 'shared' }] }))).toBeUndefined();
    expect(compileFastPolicy(only({ all: [{ fact: 'body', params: { a: 1 }, operator: 'equal', value: 1 }] }))).toBeUndefined();
  });

  it('parses plain paths only, reading own properties', () => {
    expect(parseSimplePath('$.a.b[0]["c-d"]')).toEqual(['a', 'b', '0', 'c-d']);
    expect(parseSimplePath('$.a[*]')).toBeUndefined();
    expect(parseSimplePath('$..a')).toBeUndefined();
    const fast = compileFastPolicy({
      name: 'q',
      version: '1.0.0',
      rules: [{ name: 'r', conditions: { all: [leaf('body', '$.constructor', 'exists', true)] }, params: {} }],
    })!;
    expect(fast({ body: {} })).toEqual([]);
  });
});
