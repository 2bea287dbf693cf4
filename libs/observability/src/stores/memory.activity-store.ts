import { jsonCopy, type Activity, type ActivityAggregate, type ActivityQuery, type ActivityStore, type MilestoneEvent } from '@itinera/core';
import { aggregateActivities, buildActivity, placedAt } from './activity-aggregate';
import {
  DEFAULT_ACTIVITY_RETENTION_MS,
  DEFAULT_MAX_ACTIVITIES,
  DEFAULT_QUERY_MAX_ACTIVITIES,
  MAX_EVENTS_PER_ACTIVITY,
  tooManyActivities,
} from './activity-limits';

export interface MemoryActivityStoreOptions {
  /** Activities kept at most; the one started first goes first (default 100 000). */
  maxActivities?: number;
  /** An activity is forgotten this long after its latest milestone (default 7 days). */
  retentionMs?: number;
  /** Activities one aggregate may cover (default 50 000). */
  queryMax?: number;
  now?: () => number;
}

interface Kept {
  events: MilestoneEvent[];
  lastMs: number;
  /** Built on read, dropped on write. */
  built?: Activity;
}

/** Activities of the embedded bus: a Map in start order, so the oldest is evicted first. */
export class MemoryActivityStore implements ActivityStore {
  private readonly activities = new Map<string, Kept>();
  private readonly max: number;
  private readonly retentionMs: number;
  private readonly queryMax: number;
  private readonly now: () => number;

  constructor(opts: MemoryActivityStoreOptions = {}) {
    this.max = opts.maxActivities ?? DEFAULT_MAX_ACTIVITIES;
    this.retentionMs = opts.retentionMs ?? DEFAULT_ACTIVITY_RETENTION_MS;
    this.queryMax = opts.queryMax ?? DEFAULT_QUERY_MAX_ACTIVITIES;
    this.now = opts.now ?? Date.now;
  }

  async record(event: MilestoneEvent): Promise<void> {
    const kept = this.activities.get(event.correlationId);
    if (kept) {
      if (kept.events.length < MAX_EVENTS_PER_ACTIVITY) kept.events.push(jsonCopy(event));
      kept.lastMs = this.now();
      kept.built = undefined;
      return;
    }
    if (this.activities.size >= this.max) this.activities.delete(this.activities.keys().next().value as string);
    this.activities.set(event.correlationId, { events: [jsonCopy(event)], lastMs: this.now() });
  }

  async get(correlationId: string): Promise<Activity | undefined> {
    const a = this.live(correlationId);
    return a && jsonCopy(a);
  }

  async aggregate(query: ActivityQuery): Promise<ActivityAggregate> {
    const inRange: Activity[] = [];
    for (const id of this.activities.keys()) {
      const a = this.live(id);
      const t = a && placedAt(a, query.itinerary);
      if (t === undefined || t < query.fromMs || t >= query.toMs) continue;
      if (inRange.length >= this.queryMax) throw tooManyActivities(inRange.length + 1, this.queryMax);
      inRange.push(a!);
    }
    return aggregateActivities(inRange, query);
  }

  async close(): Promise<void> {}

  private live(id: string): Activity | undefined {
    const kept = this.activities.get(id);
    if (!kept) return undefined;
    if (this.retentionMs > 0 && kept.lastMs + this.retentionMs <= this.now()) {
      this.activities.delete(id);
      return undefined;
    }
    return (kept.built ??= buildActivity(id, kept.events));
  }
}
