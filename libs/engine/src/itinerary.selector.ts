import { ItineraError, type Facts } from '@itinera/core';
import type { RulesResolver } from './rules.resolver';

export const SELECTOR_POLICY = 'itinerary-selector';

/** What the itinerary selector picked. */
export interface ItinerarySelection {
  name: string;
  version?: string;
  /** `policy@version` and the rules that fired, for the trace. */
  source: string;
  fired: string[];
  winner?: string;
  /** No rule fired: the itinerary came from the policy's defaults. */
  defaults?: true;
}

/**
 * The itinerary selector (the ESB's ItinerarySelect with a BRE resolver): a
 * rules policy whose params name the itinerary: `{ "itinerary": "orders", "version"?: "1.2.0" }`.
 */
export async function selectItinerary(
  rules: RulesResolver,
  hasPolicy: (name: string) => boolean,
  facts: Facts,
  policyName: string = SELECTOR_POLICY,
): Promise<ItinerarySelection> {
  const fix = `add a rule to policies/${policyName}.json whose params name it ({ "itinerary": "<name>" }), or post to /itineraries/{name}/messages`;
  if (!hasPolicy(policyName)) {
    throw new ItineraError('NO_ITINERARY_MATCHED', `no itinerary was named and no "${policyName}" policy is deployed to pick one: ${fix}`);
  }
  const outcome = await rules.decide(policyName, undefined, facts);
  const name = outcome.params.itinerary;
  const source = `${outcome.policy.name}@${outcome.policy.version}`;
  if (typeof name !== 'string' || name === '') {
    const what = facts.action ? `action "${facts.action}"` : 'this message';
    throw new ItineraError('NO_ITINERARY_MATCHED', `no rule of "${source}" matched ${what}: ${fix}`);
  }
  const version = outcome.params.version;
  const how = outcome.defaults ? { defaults: true as const } : outcome.winner ? { winner: outcome.winner } : {};
  return { name, ...(typeof version === 'string' && version ? { version } : {}), source, fired: outcome.fired, ...how };
}
