import { describe, expect, it } from 'vitest';
import { ItineraError, type Facts, type PolicyDefinition } from '@itinera/core';
import { compileFastPolicy, parseSimplePath } from './rules.fast-path';
import { PolicyEngine } from './rules-engine';
import { testFacts } from './test-facts';

const leaf = (fact: string, path: string | undefined, operator: string, value: unknown, extra: Record<string, unknown> = {}) => ({
  fact,
  ...(path ? { path } : {}),
  operator,
  value,
  ...extra,
});

const RULES: PolicyDefinition['rules'] = [
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
  { name: 'scalar-path', conditions: { all: [leaf('action', '$.x', 'equal', 'Go', { missing: 'false' })] }, params: {} },
  {
    name: 'prioritised',
    conditions: {
      all: [leaf('context', '$.n', 'equal', 1, { priority: 3 }), leaf('body', '$.order.quantity', 'equal', 11), { any: [], priority: 2 }],
    },
    params: {},
  },
  { name: 'deep', conditions: { any: [leaf('body', '$.a.b.c', 'greaterThan', 10), { all: [leaf('state', '$.count', 'equal', '3')] }] }, params: {} },
];

/** The same rules under each combination of the policy's `missing` and `coerce`. */
const POLICIES: PolicyDefinition[] = (['error', 'false', undefined] as const).flatMap((missing) =>
  [false, true].map((coerce) => ({ name: 'p', version: '1.0.0', rules: RULES, ...(missing ? { missing } : {}), coerce })),
);

type Outcome = { fired: number[] } | { error: string };

async function viaEngine(engine: PolicyEngine, facts: Facts): Promise<Outcome> {
  try {
    const r = await engine.run(facts);
    return { fired: r.results.map((x) => (x.event!.params as { index: number }).index).sort((a, b) => a - b) };
  } catch (err) {
    return { error: err instanceof ItineraError ? `${err.code}: ${err.message}` : `thrown: ${String(err)}` };
  }
}

function viaFast(fast: (f: Facts) => number[], facts: Facts): Outcome {
  try {
    return { fired: fast(facts) };
  } catch (err) {
    return { error: err instanceof ItineraError ? `${err.code}: ${err.message}` : `thrown: ${String(err)}` };
  }
}

/** A small seeded generator, so a failure reproduces. */
function rng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

function randomFacts(r: () => number): Facts {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const values = [undefined, null, 0, 1, 3, 10, 11, '11', '3', 'abc', true, [], ['vip'], ['x', 'vip'], {}, { a: 1 }];
  const order = r() < 0.15 ? pick(values) : { quantity: pick(values), tags: pick(values), items: r() < 0.5 ? [{ price: pick(values) }] : pick(values) };
  const a = r() < 0.5 ? { a: { b: { c: pick(values) } } } : {};
  return {
    body: r() < 0.1 ? pick(values) : { order, ...a },
    action: pick([undefined, 'Go', 'A', 'B', 'C']),
    headers: r() < 0.5 ? { x: pick(['a', 'b']) } : {},
    context: r() < 0.9 ? { n: pick(values) } : {},
    state: r() < 0.5 ? { count: pick(values) } : {},
    message: { id: 'm', correlationId: 'c', itinerary: 'p', version: '1.0.0' },
    env: r() < 0.5 ? { URL: 'http://x' } : {},
  } as Facts;
}

describe('rules fast path', () => {
  it('decides and faults exactly as json-rules-engine on 600 random fact sets, strict and coercing, each missing mode', async () => {
    const seen = { fired: 0, FACT_MISSING: 0, FACT_TYPE_MISMATCH: 0 };
    for (const [p, policy] of POLICIES.entries()) {
      const fast = compileFastPolicy(policy)!;
      expect(fast).toBeDefined();
      const engine = new PolicyEngine(policy);
      const r = rng(42 + p);
      for (let i = 0; i < 100; i++) {
        const facts = randomFacts(r);
        const want = await viaEngine(engine, facts);
        expect(viaFast(fast, facts), `${JSON.stringify(policy.missing)} coerce=${policy.coerce} ${JSON.stringify(facts)}`).toEqual(want);
        if ('fired' in want) seen.fired++;
        else seen[want.error.split(':')[0] as 'FACT_MISSING' | 'FACT_TYPE_MISMATCH']++;
      }
    }
    // The cases cover each outcome, so the comparison proves something for each.
    expect(seen.fired).toBeGreaterThan(50);
    expect(seen.FACT_MISSING).toBeGreaterThan(20);
    expect(seen.FACT_TYPE_MISMATCH).toBeGreaterThan(20);
  });

  it('gives the same answers on the fail-closed cases', async () => {
    const policy = (over: Partial<PolicyDefinition>, conditions: Record<string, unknown>): PolicyDefinition => ({
      name: 'loan',
      version: '1.0.0',
      rules: [{ name: 'low-income', conditions, params: { decision: 'reject' } }],
      ...over,
    });
    const income = (extra: Record<string, unknown> = {}) => ({ all: [leaf('body', '$.applicant.income', 'lessThan', 1000, extra)] });
    const cases: [PolicyDefinition, unknown, Outcome][] = [
      [policy({}, income()), { applicant: { income: 10 } }, { fired: [0] }],
      [policy({}, income()), { applicant: { income: 5000 } }, { fired: [] }],
      [
        policy({}, income()),
        {},
        { error: expect.stringMatching(/^FACT_MISSING: policy "loan@1.0.0", rule "low-income": body \$.applicant.income is missing/) },
      ],
      [policy({}, income()), 42, { error: expect.stringMatching(/^FACT_MISSING/) }],
      [policy({ missing: 'false' }, income()), {}, { fired: [] }],
      [policy({}, income({ missing: 'false' })), {}, { fired: [] }],
      [policy({ missing: 'false' }, income({ missing: 'error' })), {}, { error: expect.stringMatching(/^FACT_MISSING/) }],
      [
        policy({}, income()),
        { applicant: { income: '1' } },
        { error: expect.stringMatching(/^FACT_TYPE_MISMATCH: .*"lessThan" compares numbers, got a string/) },
      ],
      [policy({ coerce: true }, income()), { applicant: { income: '1' } }, { fired: [0] }],
      [policy({}, { all: [leaf('body', '$.n', 'equal', 10)] }), { n: '10' }, { fired: [] }],
      [policy({ coerce: true }, { all: [leaf('body', '$.n', 'equal', 10)] }), { n: '10' }, { fired: [0] }],
      [policy({}, { all: [leaf('body', '$.a.b.c', 'greaterThan', 10)] }), 42, { error: expect.stringMatching(/^FACT_MISSING: .*body \$\.a\.b\.c/) }],
      [policy({}, { all: [leaf('body', '$.a', 'exists', false)] }), 42, { fired: [0] }],
      [policy({}, { not: leaf('body', '$.x', 'equal', 1, { missing: 'false' }) }), {}, { fired: [0] }],
    ];
    for (const [p, body, want] of cases) {
      const facts = testFacts({ body });
      const engine = new PolicyEngine(p);
      const fast = compileFastPolicy(p)!;
      const fromEngine = await viaEngine(engine, facts);
      expect(fromEngine, JSON.stringify({ p: p.rules[0].conditions, body })).toEqual(want);
      expect(viaFast(fast, facts)).toEqual(fromEngine);
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
    expect(fast(testFacts({ body: {} }))).toEqual([]);
  });
});
