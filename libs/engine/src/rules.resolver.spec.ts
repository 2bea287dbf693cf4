import { describe, expect, it } from 'vitest';
import type { Facts, PolicyDefinition } from '@itinera/core';
import { ItineraryRegistry } from './itinerary.registry';
import { RulesResolver } from './rules.resolver';
import { checkRulePath, isKnownOperator } from './rules-engine';
import { testFacts } from './test-facts';

const amountOver = (value: number) => ({ all: [{ fact: 'body', path: '$.amount', operator: 'greaterThan', value }] });

const decision: PolicyDefinition = {
  name: 'order-decision',
  version: '1.0.0',
  defaults: { callback: 'OrderPurchased' },
  rules: [
    { name: 'big', priority: 5, conditions: amountOver(10), params: { callback: 'OrderCanceled', reason: 'Not in store' } },
    { name: 'huge', priority: 10, conditions: amountOver(100), params: { callback: 'OrderCanceled', reason: 'Too many' } },
    { name: 'also-big', priority: 5, conditions: amountOver(10), params: { callback: 'Other' } },
    {
      name: 'vip',
      conditions: { any: [{ fact: 'headers', path: '$.x-vip', operator: 'equal', value: 'yes', missing: 'false' }] },
      params: { vip: true },
    },
  ],
};

const registry = new ItineraryRegistry({
  policies: [
    decision,
    { ...decision, version: '2.0.0', mode: 'merge' },
    {
      name: 'plain',
      version: '1.0.0',
      rules: [{ name: 'never', conditions: { all: [{ fact: 'action', operator: 'equal', value: 'Nope' }] }, params: { a: 1 } }],
    },
    {
      name: 'facts',
      version: '1.0.0',
      rules: [
        {
          name: 'all-facts',
          conditions: {
            all: [
              { fact: 'action', operator: 'equal', value: 'CreateOrder' },
              { fact: 'context', path: '$.region', operator: 'in', value: ['eu', 'us'] },
              { fact: 'state', path: '$.result', operator: 'lessThan', value: 5 },
              { fact: 'env', path: '$.MODE', operator: 'equal', value: 'test' },
              { fact: 'message', path: '$.itinerary', operator: 'equal', value: 'orders' },
              { not: { fact: 'body', path: '$.tags', operator: 'contains', value: 'blocked' } },
            ],
          },
          params: { ok: true },
        },
      ],
    },
  ],
});
const rules = new RulesResolver(registry);

describe('RulesResolver', () => {
  it('first mode: the highest-priority fired rule decides; document order breaks ties', async () => {
    const r = await rules.resolve({ policy: 'order-decision', version: '1.0.0' }, testFacts({ body: { amount: 50 } }));
    expect(r.params).toEqual({ callback: 'OrderCanceled', reason: 'Not in store' });
    expect(r.decision).toEqual({ type: 'rules', source: 'order-decision@1.0.0', fired: ['big', 'also-big'], winner: 'big', params: r.params });
    const huge = await rules.resolve({ policy: 'order-decision', version: '1.0.0' }, testFacts({ body: { amount: 500 } }));
    expect(huge.params.reason).toBe('Too many');
    expect(huge.decision.fired).toEqual(['huge', 'big', 'also-big']);
  });

  it('merge mode: every fired rule merges, higher priority (then earlier) wins', async () => {
    const r = await rules.resolve({ policy: 'order-decision' }, testFacts({ body: { amount: 500 }, headers: { 'x-vip': 'yes' } }));
    expect(r.decision.source).toBe('order-decision@2.0.0');
    expect(r.params).toEqual({ callback: 'OrderCanceled', reason: 'Too many', vip: true });
    const mid = await rules.resolve({ policy: 'order-decision' }, testFacts({ body: { amount: 50 } }));
    expect(mid.params).toEqual({ callback: 'OrderCanceled', reason: 'Not in store' });
  });

  it('no rule fired: the defaults, or no params without defaults', async () => {
    const r = await rules.resolve({ policy: 'order-decision', version: '1.0.0' }, testFacts({ body: { amount: 2 } }));
    expect(r.params).toEqual({ callback: 'OrderPurchased' });
    expect(r.decision.fired).toEqual([]);
    expect(r.decision.defaults).toBe(true);
    expect(r.decision.winner).toBeUndefined();
    expect((await rules.resolve({ policy: 'plain' }, testFacts({ action: 'Other' }))).params).toEqual({});
  });

  it('conditions see every fact: action, context, state, env, message, body', async () => {
    const facts = testFacts({ action: 'CreateOrder', context: { region: 'eu' }, state: { result: 1 }, env: { MODE: 'test' }, body: { tags: ['new'] } });
    expect((await rules.resolve({ policy: 'facts' }, facts)).params).toEqual({ ok: true });
    expect((await rules.resolve({ policy: 'facts' }, { ...facts, body: { tags: ['blocked'] } })).params).toEqual({});
    // A missing fact is an error (fail closed), naming the first condition that reads it.
    await expect(rules.resolve({ policy: 'facts' }, testFacts())).rejects.toMatchObject({
      code: 'FACT_MISSING',
      message: expect.stringMatching(/policy "facts@1.0.0", rule "all-facts": action is missing/),
    });
  });

  it('the principal is a fact: its permissions decide, and a message without one fails closed', async () => {
    const r = new RulesResolver(
      new ItineraryRegistry({
        policies: [
          {
            name: 'approval',
            version: '1.0.0',
            defaults: { queue: 'review' },
            rules: [
              {
                name: 'clerk',
                conditions: { all: [{ fact: 'principal', path: '$.permissions', operator: 'contains', value: 'role:clerk' }] },
                params: { queue: 'fast' },
              },
            ],
          },
        ],
      }),
    );
    const clerk = { id: 'key:c', kind: 'api-key', name: 'c', permissions: ['role:clerk'] };
    const as = (principal: typeof clerk) => ({ ...testFacts(), principal }) as Facts;
    expect((await r.resolve({ policy: 'approval' }, as(clerk))).params).toEqual({ queue: 'fast' });
    expect((await r.resolve({ policy: 'approval' }, as({ ...clerk, permissions: [] }))).params).toEqual({ queue: 'review' });
    await expect(r.resolve({ policy: 'approval' }, testFacts())).rejects.toMatchObject({ code: 'FACT_MISSING' });
  });

  it('exists: a fact or path that is present (true) or absent (false)', async () => {
    const r = new RulesResolver(
      new ItineraryRegistry({
        policies: [
          {
            name: 'routing',
            version: '1.0.0',
            defaults: { adapter: 'queue' },
            rules: [{ name: 'http', conditions: { all: [{ fact: 'env', path: '$.URL', operator: 'exists', value: true }] }, params: { adapter: 'http' } }],
          },
        ],
      }),
    );
    expect((await r.resolve({ policy: 'routing' }, testFacts({ env: { URL: 'http://127.0.0.1:1' } }))).params).toEqual({ adapter: 'http' });
    expect((await r.resolve({ policy: 'routing' }, testFacts())).params).toEqual({ adapter: 'queue' });
  });

  it('gives every concurrent run its own complete answer', async () => {
    const amounts = Array.from({ length: 60 }, (_, i) => i * 3);
    const pending = [];
    for (const [i, amount] of amounts.entries()) {
      pending.push(rules.resolve({ policy: 'order-decision', version: '1.0.0' }, testFacts({ body: { amount } })));
      // Staggered starts, so runs overlap at different points of each other's priority sets.
      for (let k = 0; k < i % 7; k++) await Promise.resolve();
    }
    const results = await Promise.all(pending);
    results.forEach((r, i) => {
      const a = amounts[i];
      expect(r.decision.fired).toEqual(a > 100 ? ['huge', 'big', 'also-big'] : a > 10 ? ['big', 'also-big'] : []);
    });
  });

  it('knows the operators and refuses script paths', () => {
    expect(isKnownOperator('greaterThan')).toBe(true);
    expect(isKnownOperator('not:in')).toBe(true);
    expect(isKnownOperator('greaterThen')).toBe(false);
    expect(isKnownOperator('exists')).toBe(true);
    expect(checkRulePath('$.order.amount')).toBeUndefined();
    expect(checkRulePath('$.items[?(@.price > 10)]')).toMatch(/script filters are not allowed/);
  });
});
