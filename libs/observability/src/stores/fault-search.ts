import type { FaultGroupBy, FaultQuery, FaultRecord } from '@itinera/core';
import { itineraryMatches, splitItinerary } from './message-search';

/** The fields faults are filtered and grouped by. */
export interface FaultFacets {
  itinerary: string;
  step?: string;
  code: string;
  at: number;
}

export function facetsOf(f: FaultRecord, atMs: number): FaultFacets {
  return { itinerary: f.itinerary, ...(f.step !== undefined ? { step: f.step } : {}), code: f.error.code, at: atMs };
}

export function facetsMatch(f: FaultFacets, q: FaultQuery): boolean {
  if (q.itinerary !== undefined && !itineraryMatches(f.itinerary, q.itinerary)) return false;
  if (q.step !== undefined && f.step !== q.step) return false;
  if (q.code !== undefined && f.code !== q.code) return false;
  return true;
}

/** A fault's group: the itinerary name (all its versions together), the step, or the error code. */
export function groupKey(f: FaultFacets, by: FaultGroupBy): string {
  if (by === 'itinerary') return splitItinerary(f.itinerary).name;
  if (by === 'step') return f.step ?? '';
  return f.code;
}

/** Counts by key, the largest first (then by key, so the order is stable). */
export function countGroups(facets: Iterable<FaultFacets>, by: FaultGroupBy): { key: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const f of facets) {
    const k = groupKey(f, by);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
