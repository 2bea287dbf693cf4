import { describe, expect, it } from 'vitest';
import { ItineraError } from '@itinera/core';
import { Expressions } from './expressions';
import { ItineraryRegistry } from './itinerary.registry';
import { Resolvers } from './resolvers';
import { testFacts } from './test-facts';

const registry = new ItineraryRegistry({
  maps: [
    { name: 'endpoint', version: '1.0.0', source: '{ "adapter": "http", "address": env.URL & "/orders" }' },
    { name: 'endpoint', version: '1.1.0', source: '{ "adapter": "queue", "address": "orders" }' },
  ],
  policies: [
    { name: 'p', version: '1.0.0', rules: [{ name: 'r', conditions: { all: [{ fact: 'action', operator: 'equal', value: 'A' }] }, params: { x: 1 } }] },
  ],
});
const resolvers = new Resolvers({ registry, expressions: new Expressions(registry) });

describe('Resolvers', () => {
  it('static: the params as written, as a copy', async () => {
    const params = { adapter: 'http', nested: { a: 1 } };
    const r = await resolvers.resolve({ type: 'static', params }, testFacts());
    expect(r).toEqual({ params, decision: { type: 'static', params } });
    expect(r.params.nested).not.toBe(params.nested);
    expect(await resolvers.resolve(undefined, testFacts())).toEqual({ params: {}, decision: { type: 'static', params: {} } });
  });

  it('rules: runs the policy', async () => {
    const r = await resolvers.resolve({ type: 'rules', policy: 'p' }, testFacts({ action: 'A' }));
    expect(r.decision).toEqual({ type: 'rules', source: 'p@1.0.0', fired: ['r'], winner: 'r', params: { x: 1 } });
  });

  it('expression: inline JSONata over the facts yields the params', async () => {
    const r = await resolvers.resolve(
      { type: 'expression', expression: '{ "to": action & "-" & $jsString(body.n) }' },
      testFacts({ action: 'Add', body: { n: 2 } }),
    );
    expect(r.params).toEqual({ to: 'Add-2' });
    expect(r.decision).toEqual({ type: 'expression', source: '{ "to": action & "-" & $jsString(body.n) }', params: { to: 'Add-2' } });
  });

  it('expression: a map, latest or pinned, named with its version in the decision', async () => {
    const latest = await resolvers.resolve({ type: 'expression', map: 'endpoint' }, testFacts());
    expect(latest.decision).toEqual({ type: 'expression', source: 'endpoint@1.1.0', params: { adapter: 'queue', address: 'orders' } });
    const pinned = await resolvers.resolve({ type: 'expression', map: 'endpoint', version: '1.0.0' }, testFacts({ env: { URL: 'http://127.0.0.1:1' } }));
    expect(pinned.params).toEqual({ adapter: 'http', address: 'http://127.0.0.1:1/orders' });
  });

  it('expression: anything but an object is an EXPRESSION_FAILED that says what to return', async () => {
    const err = await resolvers.resolve({ type: 'expression', expression: '[1, 2]' }, testFacts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ItineraError);
    expect((err as ItineraError).code).toBe('EXPRESSION_FAILED');
    expect((err as ItineraError).message).toMatch(/must yield an object of params, got an array/);
  });
});
