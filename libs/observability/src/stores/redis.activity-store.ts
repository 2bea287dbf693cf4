import type { Activity, ActivityAggregate, ActivityQuery, ActivityStore, MilestoneEvent } from '@itinera/core';
import { aggregateActivities, buildActivity } from './activity-aggregate';
import {
  DEFAULT_ACTIVITY_RETENTION_MS,
  DEFAULT_MAX_ACTIVITIES,
  DEFAULT_QUERY_MAX_ACTIVITIES,
  MAX_EVENTS_PER_ACTIVITY,
  tooManyActivities,
} from './activity-limits';
import { StoreConnection, type RedisStoreBase } from './redis-client';

export interface RedisActivityStoreOptions extends RedisStoreBase {
  /** Activity keys expire this long after their latest milestone; index entries older than it are trimmed (default 7 days). */
  retentionMs?: number;
  /** Entries each itinerary's index keeps, the newest (default 100 000). */
  maxActivities?: number;
  /** Activities one aggregate may cover (default 50 000). */
  queryMax?: number;
  now?: () => number;
}

/** Parallel reads while aggregating: single-key commands, so they work the same on a cluster. */
const READ_BATCH = 200;

/**
 * Activities in Redis, cluster-safe: each activity is its own list
 * `<base>:activity:{<correlation id>}` (one hash tag per activity), and each
 * itinerary has a sorted set `<base>:activities:{<itinerary>}` of correlation ids
 * scored by their first milestone in it. `<base>` is the store prefix without its
 * braces, so the prefix's own hash tag does not pull every key into one slot.
 * Every command (and MULTI) touches one key: never a multi-key command across tags.
 */
export class RedisActivityStore implements ActivityStore {
  private readonly conn: StoreConnection;
  private readonly base: string;
  private readonly retentionMs: number;
  private readonly max: number;
  private readonly queryMax: number;
  private readonly now: () => number;

  constructor(opts: RedisActivityStoreOptions) {
    this.conn = new StoreConnection(opts, 'activity store');
    this.base = this.conn.prefix.replace(/[{}]/g, '') || 'itinera';
    this.retentionMs = opts.retentionMs ?? DEFAULT_ACTIVITY_RETENTION_MS;
    this.max = opts.maxActivities ?? DEFAULT_MAX_ACTIVITIES;
    this.queryMax = opts.queryMax ?? DEFAULT_QUERY_MAX_ACTIVITIES;
    this.now = opts.now ?? Date.now;
  }

  /** The key of one activity (exported for tests of the layout). */
  activityKey(correlationId: string): string {
    return `${this.base}:activity:{${tag(correlationId)}}`;
  }

  indexKey(itinerary: string): string {
    return `${this.base}:activities:{${tag(itinerary)}}`;
  }

  async record(event: MilestoneEvent): Promise<void> {
    const key = this.activityKey(event.correlationId);
    const index = this.indexKey(event.itinerary);
    const score = Date.parse(event.at) || this.now();
    await this.conn.exec('activity store', async (client) => {
      const tx = client
        .multi()
        .rpush(key, JSON.stringify(event))
        .ltrim(key, 0, MAX_EVENTS_PER_ACTIVITY - 1);
      if (this.retentionMs > 0) tx.pexpire(key, this.retentionMs);
      check(await tx.exec());
      // LT: an earlier milestone in this itinerary moves the entry back; a new id is added.
      const ix = client.multi().zadd(index, 'LT', score, event.correlationId);
      if (this.retentionMs > 0) ix.zremrangebyscore(index, '-inf', `(${this.now() - this.retentionMs}`).pexpire(index, this.retentionMs);
      ix.zremrangebyrank(index, 0, -(this.max + 1));
      check(await ix.exec());
    });
  }

  async get(correlationId: string): Promise<Activity | undefined> {
    const lines = await this.conn.exec('activity store', (client) => client.lrange(this.activityKey(correlationId), 0, -1));
    return buildActivity(correlationId, parse(lines));
  }

  async aggregate(query: ActivityQuery): Promise<ActivityAggregate> {
    const ids = await this.conn.exec('activity store', (client) =>
      client.zrangebyscore(this.indexKey(query.itinerary), query.fromMs, `(${query.toMs}`, 'LIMIT', 0, this.queryMax + 1),
    );
    if (ids.length > this.queryMax) throw tooManyActivities(ids.length, this.queryMax);
    const activities: Activity[] = [];
    for (let i = 0; i < ids.length; i += READ_BATCH) {
      const batch = ids.slice(i, i + READ_BATCH);
      const found = await Promise.all(batch.map((id) => this.get(id)));
      for (const a of found) if (a) activities.push(a);
    }
    return aggregateActivities(activities, query);
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}

/** A hash tag must not contain braces (the first `}` ends it): encoded, so any id is its own tag. */
const tag = (s: string): string => encodeURIComponent(s);

function check(replies: [Error | null, unknown][] | null): void {
  const failed = replies?.find(([err]) => err);
  if (failed?.[0]) throw failed[0];
}

function parse(lines: string[]): MilestoneEvent[] {
  const out: MilestoneEvent[] = [];
  for (const line of lines) {
    try {
      out.push(JSON.parse(line) as MilestoneEvent);
    } catch {
      // A line that is not JSON was not written by this store: skipped.
    }
  }
  return out;
}
