import { describe, expect, it } from 'vitest';
import { ItineraError } from '@itinera/core';
import { Expressions } from './expressions';
import { ItineraryRegistry } from './itinerary.registry';
import { Resolvers } from './resolvers';
import { testFacts } from './test-facts';

const byAction = (action: string, params: Record<string, unknown>, priority = 1) => ({
  name: `${action}-${params.itinerary}`,
  priority,
  conditions: { all: [{ fact: 'action', operator: 'equal', value: action }] },
  params,
});

const registry = new ItineraryRegistry({
  policies: [
    {
      name: 'itinerary-selector',
      version: '1.0.0',
      // A selector tries several shapes: a header or an action that is absent is normal.
      missing: 'false',
      rules: [
        byAction('CreateOrder', { itinerary: 'orders' }),
        byAction('AddTo', { itinerary: 'calculator', version: '1.0.0' }),
        {
          name: 'legacy',
          priority: 5,
          conditions: { all: [{ fact: 'headers', path: '$.x-legacy', operator: 'equal', value: '1' }] },
          params: { itinerary: 'orders', version: '0.9.0' },
        },
      ],
    },
    { name: 'other-selector', version: '1.0.0', rules: [], defaults: { itinerary: 'chat' } },
  ],
});
const resolvers = new Resolvers({ registry, expressions: new Expressions(registry) });

describe('itinerary selector', () => {
  it('picks the itinerary (and version) from the rules', async () => {
    expect(await resolvers.selectItinerary(testFacts({ action: 'CreateOrder' }))).toEqual({
      name: 'orders',
      source: 'itinerary-selector@1.0.0',
      fired: ['CreateOrder-orders'],
      winner: 'CreateOrder-orders',
    });
    expect(await resolvers.selectItinerary(testFacts({ action: 'AddTo' }))).toMatchObject({ name: 'calculator', version: '1.0.0' });
    expect(await resolvers.selectItinerary(testFacts({ action: 'CreateOrder', headers: { 'x-legacy': '1' } }))).toMatchObject({
      name: 'orders',
      version: '0.9.0',
    });
  });

  it('uses another policy when asked, defaults included', async () => {
    expect(await resolvers.selectItinerary(testFacts(), 'other-selector')).toMatchObject({ name: 'chat', fired: [], defaults: true });
  });

  it('nothing matched: NO_ITINERARY_MATCHED (422) saying how to fix it', async () => {
    const err = (await resolvers.selectItinerary(testFacts({ action: 'Nope' })).catch((e: unknown) => e)) as ItineraError;
    expect(err).toBeInstanceOf(ItineraError);
    expect(err.code).toBe('NO_ITINERARY_MATCHED');
    expect(err.status).toBe(422);
    expect(err.message).toMatch(/no rule of "itinerary-selector@1.0.0" matched action "Nope"/);
    expect(err.message).toMatch(/add a rule to policies\/itinerary-selector.json .*or post to \/itineraries\/\{name\}\/messages/);
  });

  it('a selector in the default missing mode faults on an absent action with FACT_MISSING (422)', async () => {
    const strict = new ItineraryRegistry({
      policies: [{ name: 'itinerary-selector', version: '1.0.0', rules: [byAction('CreateOrder', { itinerary: 'orders' })] }],
    });
    const r = new Resolvers({ registry: strict, expressions: new Expressions(strict) });
    const err = (await r.selectItinerary(testFacts()).catch((e: unknown) => e)) as ItineraError;
    expect(err.code).toBe('FACT_MISSING');
    expect(err.status).toBe(422);
    expect(err.message).toMatch(/policy "itinerary-selector@1.0.0", rule "CreateOrder-orders": action is missing/);
  });

  it('no selector policy deployed: NO_ITINERARY_MATCHED too', async () => {
    const empty = new Resolvers({ registry: new ItineraryRegistry(), expressions: new Expressions() });
    const err = (await empty.selectItinerary(testFacts()).catch((e: unknown) => e)) as ItineraError;
    expect(err.code).toBe('NO_ITINERARY_MATCHED');
    expect(err.message).toMatch(/no "itinerary-selector" policy is deployed/);
  });
});
