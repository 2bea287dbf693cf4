import { ItineraError, type ItineraryDefinition, type PolicyDefinition, type QueueOnRamp } from '@itinera/core';
import type { MapDocument, MapSource } from './expressions';
import type { PolicySource } from './rules.resolver';
import { Versioned } from './versioned';

/** What `GET /itineraries` and `itinera graph` show about one itinerary. */
export interface ItinerarySummary {
  name: string;
  /** Every deployed version, ascending by semver. */
  versions: string[];
  latest: string;
  /** The latest version's description and actions. */
  description?: string;
  actions: { name: string; description?: string }[];
}

/** A queue on-ramp of the latest version of an itinerary. */
export interface QueueOnRampBinding extends QueueOnRamp {
  itinerary: string;
}

export interface RegistryContents {
  itineraries?: ItineraryDefinition[];
  policies?: PolicyDefinition[];
  maps?: MapDocument[];
  /** Named JSON Schemas: file name without `.json` → schema. */
  schemas?: Record<string, Record<string, unknown>>;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function versionList(store: Versioned<unknown>, name: string): string {
  const versions = store.versions(name);
  return versions.length ? versions.join(', ') : '(none)';
}

/**
 * Every deployed itinerary, policy, map and schema, all versions side by side.
 * Immutable once built: definitions are frozen and shared by every message.
 */
export class ItineraryRegistry implements MapSource, PolicySource {
  private readonly itineraryStore = new Versioned<ItineraryDefinition>();
  private readonly policyStore = new Versioned<PolicyDefinition>();
  private readonly mapStore = new Versioned<MapDocument>();
  private readonly schemaStore: ReadonlyMap<string, Record<string, unknown>>;

  constructor(contents: RegistryContents = {}) {
    for (const it of contents.itineraries ?? []) this.itineraryStore.add(it.name, it.version, deepFreeze(it));
    for (const p of contents.policies ?? []) this.policyStore.add(p.name, p.version, deepFreeze(p));
    for (const m of contents.maps ?? []) this.mapStore.add(m.name, m.version, deepFreeze(m));
    this.schemaStore = new Map(Object.entries(contents.schemas ?? {}).map(([k, v]) => [k, deepFreeze(v)]));
  }

  /** The itinerary `name@version` (a semver range picks the highest match; none = latest). */
  itinerary(name: string, version?: string): ItineraryDefinition {
    const found = this.itineraryStore.get(name, version);
    if (found) return found;
    const names = this.itineraryStore.names();
    if (!names.includes(name)) {
      throw new ItineraError('ITINERARY_NOT_FOUND', `no itinerary named "${name}" is deployed; deployed: ${names.length ? names.join(', ') : '(none)'}`);
    }
    throw new ItineraError(
      'ITINERARY_NOT_FOUND',
      `itinerary "${name}" has no version ${version}; deployed versions: ${versionList(this.itineraryStore, name)}. Omit the version for the latest, or ask for one of these`,
    );
  }

  hasItinerary(name: string, version?: string): boolean {
    return this.itineraryStore.get(name, version) !== undefined;
  }

  /** The policy `name@version` (none = latest); throws POLICY_NOT_FOUND. */
  policy(name: string, version?: string): PolicyDefinition {
    const found = this.policyStore.get(name, version);
    if (found) return found;
    const names = this.policyStore.names();
    if (!names.includes(name)) {
      throw new ItineraError('POLICY_NOT_FOUND', `no policy named "${name}" in policies/; deployed: ${names.length ? names.join(', ') : '(none)'}`);
    }
    throw new ItineraError('POLICY_NOT_FOUND', `policy "${name}" has no version ${version}; deployed versions: ${versionList(this.policyStore, name)}`);
  }

  hasPolicy(name: string, version?: string): boolean {
    return this.policyStore.get(name, version) !== undefined;
  }

  map(name: string, version?: string): MapDocument | undefined {
    return this.mapStore.get(name, version);
  }

  hasMap(name: string, version?: string): boolean {
    return this.mapStore.get(name, version) !== undefined;
  }

  schema(name: string): Record<string, unknown> | undefined {
    return this.schemaStore.get(name);
  }

  hasSchema(name: string): boolean {
    return this.schemaStore.has(name);
  }

  /** Named schemas, to build `Schemas` from. */
  schemas(): Record<string, Record<string, unknown>> {
    return Object.fromEntries(this.schemaStore);
  }

  /** One entry per itinerary name, sorted by name. */
  list(): ItinerarySummary[] {
    return this.itineraryStore.names().map((name) => {
      const latest = this.itineraryStore.latest(name)!;
      const def = this.itineraryStore.get(name, latest)!;
      const actions = Object.entries(def.actions ?? {}).map(([n, a]) => ({ name: n, ...(a.description ? { description: a.description } : {}) }));
      return { name, versions: this.itineraryStore.versions(name), latest, ...(def.description ? { description: def.description } : {}), actions };
    });
  }

  /** Every version of every itinerary. */
  itineraries(): ItineraryDefinition[] {
    return this.itineraryStore.all();
  }

  /** Every version of every policy. */
  policies(): PolicyDefinition[] {
    return this.policyStore.all();
  }

  /** Every version of every map. */
  maps(): MapDocument[] {
    return this.mapStore.all();
  }

  /** Queue on-ramps declared by the latest version of each itinerary. */
  queueOnRamps(): QueueOnRampBinding[] {
    return this.itineraryStore.names().flatMap((name) => (this.itineraryStore.get(name)?.onRamps?.queue ?? []).map((q) => ({ ...q, itinerary: name })));
  }
}
