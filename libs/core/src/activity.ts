/**
 * Business activity monitoring (BAM): milestones and tracked fields declared on
 * itinerary steps (`track`), kept per correlation id across itineraries.
 */

/** A step's `track`: the milestone it marks when it completes and the fields it records. */
export interface TrackDefinition {
  /** Milestone name: a letter, then letters, digits, `_` or `-` (at most 64). */
  milestone: string;
  /** Tracked field name → JSONata over the step's facts (what its `when` sees), plus `$decision`. */
  fields?: Record<string, string>;
}

/** One milestone reached by one message, as the tracker records it. */
export interface MilestoneEvent {
  correlationId: string;
  /** Itinerary name (without version). */
  itinerary: string;
  milestone: string;
  /** ISO time the step completed. */
  at: string;
  messageId?: string;
  fields: Record<string, unknown>;
  /** Fields whose expression failed or gave nothing. */
  missing?: string[];
}

/** Time from one milestone to the next, each at its first occurrence. */
export interface MilestoneInterval {
  from: string;
  to: string;
  ms: number;
}

/** Everything known about one correlation id. */
export interface Activity {
  correlationId: string;
  /** Time of the first milestone. */
  startedAt: string;
  /** Time of the latest milestone. */
  updatedAt: string;
  itineraries: string[];
  /** Every milestone event, in time order. */
  milestones: Array<Omit<MilestoneEvent, 'correlationId'>>;
  /** Tracked fields merged over the milestones in time order (a later value wins). */
  fields: Record<string, unknown>;
  /** Time between consecutive distinct milestones (first occurrences, in time order). */
  intervals: MilestoneInterval[];
}

export interface ActivityQuery {
  /** Activities with a milestone in this itinerary, placed in time by their first milestone there. */
  itinerary: string;
  /** Epoch ms, inclusive. */
  fromMs: number;
  /** Epoch ms, exclusive. */
  toMs: number;
  bucketMs: number;
  /** A tracked field: each bucket is also split by its value. */
  groupBy?: string;
  /** Two milestones: p50/p95 of the time from the first to the second. */
  between?: [string, string];
}

export interface NumericStats {
  /** Activities with a numeric value. */
  count: number;
  sum: number;
  min: number;
  max: number;
  avg: number;
}

export interface BetweenStats {
  /** Activities that reached both milestones. */
  count: number;
  /** Nearest-rank percentiles, ms (absent when count is 0). */
  p50?: number;
  p95?: number;
  min?: number;
  max?: number;
}

export interface ActivityStats {
  /** Activities placed in this bucket (or group). */
  count: number;
  /** Milestone → how many of these activities reached it (in any itinerary). */
  milestones: Record<string, number>;
  /** Numeric tracked field → stats over these activities. */
  fields: Record<string, NumericStats>;
  between?: BetweenStats;
}

/** The stats of the activities whose `groupBy` field has this value (`null`: activities without it). */
export type ActivityGroup = ActivityStats & { value: string | null };

export interface ActivityBucket extends ActivityStats {
  start: string;
  end: string;
  /** With `groupBy`: the stats per value of that field, values in ascending order, `null` last. */
  groups?: ActivityGroup[];
}

export interface ActivityAggregate {
  itinerary: string;
  from: string;
  to: string;
  bucketMs: number;
  groupBy?: string;
  between?: { from: string; to: string };
  /** Over the whole range (with `groups` when grouped). */
  total: ActivityStats & { groups?: ActivityGroup[] };
  buckets: ActivityBucket[];
}

/** Where activities are kept: memory on the embedded bus, Redis on BullMQ. */
export interface ActivityStore {
  record(event: MilestoneEvent): Promise<void>;
  get(correlationId: string): Promise<Activity | undefined>;
  aggregate(query: ActivityQuery): Promise<ActivityAggregate>;
  close(): Promise<void>;
}

/** Milestone names and tracked field names: what a query may name. */
export const MILESTONE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
export const TRACKED_FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
