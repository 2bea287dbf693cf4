import type { Facts } from '@itinera/core';

/** Facts for unit specs: what the runner builds from an envelope. */
export function testFacts(over: Partial<Facts> = {}): Facts {
  return {
    body: {},
    headers: {},
    context: {},
    state: {},
    message: { id: 'm1', correlationId: 'c1', itinerary: 'orders', version: '1.0.0' },
    env: {},
    ...over,
  };
}
