import type {
  Activity,
  ActivityAggregate,
  ActivityBucket,
  ActivityGroup,
  ActivityQuery,
  ActivityStats,
  BetweenStats,
  MilestoneEvent,
  NumericStats,
} from '@itinera/core';

/**
 * The parts both activity stores share: an activity assembled from its events, and
 * the aggregates of a query computed exactly over the activities in its range.
 */

const ms = (iso: string): number => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
};

/**
 * An activity from its events. A redelivered step records its milestone again: one
 * event per (message, itinerary, milestone) is kept, the first.
 */
export function buildActivity(correlationId: string, events: MilestoneEvent[]): Activity | undefined {
  if (!events.length) return undefined;
  const seen = new Set<string>();
  const kept: MilestoneEvent[] = [];
  for (const e of events) {
    const key = e.messageId === undefined ? undefined : `${e.messageId}\u0000${e.itinerary}\u0000${e.milestone}`;
    if (key !== undefined) {
      if (seen.has(key)) continue;
      seen.add(key);
    }
    kept.push(e);
  }
  // Stable: events of the same millisecond keep their recording order.
  kept.sort((a, b) => ms(a.at) - ms(b.at));
  const fields: Record<string, unknown> = {};
  const itineraries: string[] = [];
  const first = new Map<string, number>();
  const milestones = kept.map((e) => {
    Object.assign(fields, e.fields);
    if (!itineraries.includes(e.itinerary)) itineraries.push(e.itinerary);
    if (!first.has(e.milestone)) first.set(e.milestone, ms(e.at));
    const { correlationId: _omit, ...rest } = e;
    return rest;
  });
  const order = [...first.entries()];
  const intervals = order.slice(1).map(([name, t], i) => ({ from: order[i][0], to: name, ms: t - order[i][1] }));
  return {
    correlationId,
    startedAt: kept[0].at,
    updatedAt: kept[kept.length - 1].at,
    itineraries,
    milestones,
    fields,
    intervals,
  };
}

/** When an activity counts for a query: its first milestone in the query's itinerary (undefined: none there). */
export function placedAt(activity: Activity, itinerary: string): number | undefined {
  for (const m of activity.milestones) if (m.itinerary === itinerary) return ms(m.at);
  return undefined;
}

/** Time from the first `a` to the first `b` of an activity, ms (undefined: it lacks one, or `b` came first). */
export function timeBetween(activity: Activity, a: string, b: string): number | undefined {
  let ta: number | undefined;
  let tb: number | undefined;
  for (const m of activity.milestones) {
    if (ta === undefined && m.milestone === a) ta = ms(m.at);
    if (tb === undefined && m.milestone === b) tb = ms(m.at);
  }
  return ta === undefined || tb === undefined || tb < ta ? undefined : tb - ta;
}

/** Nearest-rank percentile of ascending values: the value at rank ⌈p/100 · n⌉ (1-based). */
export function nearestRank(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** What one activity adds to the accumulators it falls in: worked out once per activity. */
interface Contribution {
  reached: string[];
  numbers: Array<[string, number]>;
  duration?: number;
}

function contribution(a: Activity, between: [string, string] | undefined): Contribution {
  const reached = [...new Set(a.milestones.map((m) => m.milestone))];
  const numbers: Array<[string, number]> = [];
  for (const [name, value] of Object.entries(a.fields)) if (typeof value === 'number' && Number.isFinite(value)) numbers.push([name, value]);
  return { reached, numbers, duration: between ? timeBetween(a, between[0], between[1]) : undefined };
}

class Accumulator {
  count = 0;
  readonly milestones: Record<string, number> = {};
  readonly fields: Record<string, NumericStats> = {};
  readonly durations: number[] = [];

  add(c: Contribution): void {
    this.count++;
    for (const m of c.reached) this.milestones[m] = (this.milestones[m] ?? 0) + 1;
    for (const [name, value] of c.numbers) {
      const s = this.fields[name];
      if (!s) this.fields[name] = { count: 1, sum: value, min: value, max: value, avg: value };
      else {
        s.count++;
        s.sum += value;
        if (value < s.min) s.min = value;
        if (value > s.max) s.max = value;
      }
    }
    if (c.duration !== undefined) this.durations.push(c.duration);
  }

  stats(between: boolean): ActivityStats {
    for (const s of Object.values(this.fields)) s.avg = s.sum / s.count;
    const out: ActivityStats = { count: this.count, milestones: this.milestones, fields: this.fields };
    if (between) out.between = betweenStats(this.durations);
    return out;
  }
}

function betweenStats(durations: number[]): BetweenStats {
  if (!durations.length) return { count: 0 };
  const sorted = [...durations].sort((a, b) => a - b);
  return { count: sorted.length, p50: nearestRank(sorted, 50), p95: nearestRank(sorted, 95), min: sorted[0], max: sorted[sorted.length - 1] };
}

function groupStats(groups: Map<string | null, Accumulator>, between: boolean): ActivityGroup[] {
  return [...groups.entries()]
    .sort(([x], [y]) => (x === null ? 1 : y === null ? -1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([value, acc]) => ({ value, ...acc.stats(between) }));
}

const groupKey = (v: unknown): string | null => (v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v));

/** The aggregates of `query` over `activities` (those outside its range or itinerary are left out). */
export function aggregateActivities(activities: Iterable<Activity>, query: ActivityQuery): ActivityAggregate {
  const { fromMs, toMs, bucketMs, groupBy, between } = query;
  const n = Math.max(0, Math.ceil((toMs - fromMs) / bucketMs));
  const total = new Accumulator();
  const totalGroups = new Map<string | null, Accumulator>();
  const buckets = Array.from({ length: n }, () => ({ all: new Accumulator(), groups: new Map<string | null, Accumulator>() }));
  for (const a of activities) {
    const t = placedAt(a, query.itinerary);
    if (t === undefined || t < fromMs || t >= toMs) continue;
    const b = buckets[Math.floor((t - fromMs) / bucketMs)];
    const c = contribution(a, between);
    total.add(c);
    b.all.add(c);
    if (groupBy !== undefined) {
      const key = groupKey(a.fields[groupBy]);
      for (const groups of [b.groups, totalGroups]) {
        let g = groups.get(key);
        if (!g) groups.set(key, (g = new Accumulator()));
        g.add(c);
      }
    }
  }
  const withBetween = between !== undefined;
  const out: ActivityBucket[] = buckets.map((b, i) => {
    const start = fromMs + i * bucketMs;
    const bucket: ActivityBucket = {
      start: new Date(start).toISOString(),
      end: new Date(Math.min(start + bucketMs, toMs)).toISOString(),
      ...b.all.stats(withBetween),
    };
    if (groupBy !== undefined) bucket.groups = groupStats(b.groups, withBetween);
    return bucket;
  });
  const totalStats: ActivityAggregate['total'] = total.stats(withBetween);
  if (groupBy !== undefined) totalStats.groups = groupStats(totalGroups, withBetween);
  return {
    itinerary: query.itinerary,
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    bucketMs,
    ...(groupBy !== undefined ? { groupBy } : {}),
    ...(between ? { between: { from: between[0], to: between[1] } } : {}),
    total: totalStats,
    buckets: out,
  };
}
