import { jsonCopy } from '@itinera/core';
import type { Resolution } from './resolution';

/** Params exactly as the itinerary wrote them. */
export class StaticResolver {
  resolve(def: { params?: Record<string, unknown> } | undefined): Resolution {
    // A copy: the registry's definitions are frozen and shared by every message.
    const params = jsonCopy(def?.params ?? {});
    return { params, decision: { type: 'static', params } };
  }
}
