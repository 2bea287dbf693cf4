import type { Facts, ItineraError } from '@itinera/core';

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

/** The ItineraError a promise rejects with, for specs that assert on its code and message. */
export async function failure(p: Promise<unknown>): Promise<ItineraError> {
  try {
    await p;
  } catch (err) {
    return err as ItineraError;
  }
  throw new Error('expected a rejection');
}
