import { describe, expect, it } from 'vitest';
import { ItineraError, type ItineraryDefinition } from '@itinera/core';
import { ItineraryRegistry } from './itinerary.registry';

const it_ = (version: string, extra: Partial<ItineraryDefinition> = {}): ItineraryDefinition => ({
  name: 'orders',
  version,
  description: `orders ${version}`,
  steps: [{ id: 'a', service: 'transform' }],
  ...extra,
});

function thrown(fn: () => unknown): ItineraError {
  try {
    fn();
  } catch (err) {
    return err as ItineraError;
  }
  throw new Error('expected a throw');
}

describe('ItineraryRegistry', () => {
  const registry = new ItineraryRegistry({
    itineraries: [
      it_('1.9.0'),
      it_('1.10.0', { actions: { CreateOrder: { description: 'create' } }, onRamps: { queue: [{ queue: 'orders-in' }] } }),
      it_('2.0.0-beta.1'),
      it_('1.2.3'),
      { name: 'chat', version: '0.1.0', steps: [] },
    ],
  });

  it('picks the latest release by semver, not by string order, and ignores prereleases for it', () => {
    expect(registry.itinerary('orders').version).toBe('1.10.0');
  });

  it('keeps every version side by side and serves a pinned one', () => {
    expect(registry.itinerary('orders', '1.2.3').version).toBe('1.2.3');
    expect(registry.itinerary('orders', '2.0.0-beta.1').version).toBe('2.0.0-beta.1');
    expect(registry.itinerary('orders', '1.9.0').description).toBe('orders 1.9.0');
  });

  it('accepts a semver range and picks its highest match', () => {
    expect(registry.itinerary('orders', '~1.9').version).toBe('1.9.0');
    expect(registry.itinerary('orders', '1.x').version).toBe('1.10.0');
  });

  it('names the deployed versions when the version is not deployed', () => {
    const err = thrown(() => registry.itinerary('orders', '3.0.0'));
    expect(err).toBeInstanceOf(ItineraError);
    expect(err.code).toBe('ITINERARY_NOT_FOUND');
    expect(err.status).toBe(404);
    expect(err.message).toContain('1.2.3, 1.9.0, 1.10.0, 2.0.0-beta.1');
  });

  it('names the deployed itineraries when the name is unknown', () => {
    const err = thrown(() => registry.itinerary('order'));
    expect(err.code).toBe('ITINERARY_NOT_FOUND');
    expect(err.message).toMatch(/no itinerary named "order".*chat, orders/);
  });

  it('lists each itinerary once with its versions and its latest description and actions', () => {
    expect(registry.list()).toEqual([
      { name: 'chat', versions: ['0.1.0'], latest: '0.1.0', actions: [] },
      {
        name: 'orders',
        versions: ['1.2.3', '1.9.0', '1.10.0', '2.0.0-beta.1'],
        latest: '1.10.0',
        description: 'orders 1.10.0',
        actions: [{ name: 'CreateOrder', description: 'create' }],
      },
    ]);
    expect(registry.queueOnRamps()).toEqual([{ queue: 'orders-in', itinerary: 'orders' }]);
  });

  it('freezes definitions, which every message shares', () => {
    const def = registry.itinerary('orders');
    expect(Object.isFrozen(def.steps[0])).toBe(true);
  });

  it('serves policies, maps and schemas by name and version', () => {
    const r = new ItineraryRegistry({
      policies: [
        { name: 'p', version: '1.0.0', rules: [] },
        { name: 'p', version: '1.1.0', rules: [] },
      ],
      maps: [{ name: 'm', version: '1.0.0', source: 'a' }],
      schemas: { order: { type: 'object' } },
    });
    expect(r.policy('p').version).toBe('1.1.0');
    expect(r.hasPolicy('p', '1.0.0')).toBe(true);
    expect(r.hasPolicy('p', '2.0.0')).toBe(false);
    expect(thrown(() => r.policy('q')).code).toBe('POLICY_NOT_FOUND');
    expect(r.hasMap('m')).toBe(true);
    expect(r.map('m', '1.0.0')?.source).toBe('a');
    expect(r.hasMap('m', '2.0.0')).toBe(false);
    expect(r.hasSchema('order')).toBe(true);
    expect(r.hasSchema('orders')).toBe(false);
  });
});
