import type { MessageBox, SessionStore } from '@itinera/core';
import type { LiveAnswer, LiveRow } from '@itinera/adapters';
import type { Metrics } from '@itinera/observability';

/** Outboxes read per view at most (as the metrics scrape reads them). */
const OUTBOX_SAMPLE = 1000;
/** Deepest outboxes shown. */
const TOP_OUTBOXES = 10;
/** Readings kept: at most one a second, back this far. */
const WINDOW_MS = 60_000;

interface Reading {
  at: number;
  /** `itinerary\u0000step\u0000outcome` → bucket counts. */
  steps: Map<string, Float64Array>;
  faults: ReadonlyMap<string, number>;
  completed: ReadonlyMap<string, number>;
}

/**
 * GET /live from what the process already counts: the step histogram and the message
 * counters (differences against a reading up to a minute old, so the figures are
 * recent), the session store's outbox sample and the box's queue counts. Nothing is
 * recorded for it on the hot path beyond the counters the metrics keep anyway.
 */
export class LiveView {
  private readonly readings: Reading[] = [];
  private readonly started = Date.now();

  constructor(
    private readonly deps: { metrics: Metrics; box: MessageBox; sessions: SessionStore; queues: () => readonly string[] },
  ) {}

  async read(): Promise<LiveAnswer> {
    const { box, sessions } = this.deps;
    const [queues, outbox] = await Promise.all([
      box.queueStats?.(this.deps.queues()).catch(() => []) ?? [],
      sessions.outboxStats?.(OUTBOX_SAMPLE, TOP_OUTBOXES).catch(() => undefined),
    ]);
    const now = this.reading();
    const base = this.readings.find((r) => r.at >= now.at - WINDOW_MS) ?? { at: this.started, steps: new Map(), faults: new Map(), completed: new Map() };
    this.keep(now);
    const seconds = Math.max(0.001, (now.at - base.at) / 1000);
    return {
      at: new Date(now.at).toISOString(),
      windowSeconds: Math.round(seconds * 1000) / 1000,
      itineraries: this.rows(now, base, seconds),
      sessions: { open: outbox?.sessions ?? 0 },
      outboxes: outbox?.deepest ?? [],
      queues: queues.map((q) => ({ name: q.queue, waiting: q.waiting, active: q.active ?? 0, delayed: q.delayed ?? 0 })),
    };
  }

  private reading(): Reading {
    const { metrics } = this.deps;
    const steps = new Map<string, Float64Array>();
    for (const s of metrics.stepCounts().series) steps.set(s.labels.join('\u0000'), s.counts);
    return { at: Date.now(), steps, faults: new Map(metrics.faultCounts()), completed: new Map(metrics.completedCounts()) };
  }

  private keep(r: Reading): void {
    const last = this.readings[this.readings.length - 1];
    if (!last || r.at - last.at >= 1000) this.readings.push(r);
    while (this.readings.length > 1 && this.readings[0]!.at < r.at - WINDOW_MS) this.readings.shift();
  }

  private rows(now: Reading, base: Reading, seconds: number): LiveRow[] {
    const buckets = this.deps.metrics.stepCounts().buckets;
    // Bucket counts in the window per itinerary and per step; faults per step from the `faulted` outcome.
    const byItinerary = new Map<string, { counts: Float64Array; steps: Map<string, { counts: Float64Array; faults: number }> }>();
    for (const [key, counts] of now.steps) {
      const [itinerary, step, outcome] = key.split('\u0000') as [string, string, string];
      const before = base.steps.get(key);
      const diff = before ? counts.map((c, i) => c - before[i]!) : counts;
      let it = byItinerary.get(itinerary);
      if (!it) byItinerary.set(itinerary, (it = { counts: new Float64Array(counts.length), steps: new Map() }));
      let st = it.steps.get(step);
      if (!st) it.steps.set(step, (st = { counts: new Float64Array(counts.length), faults: 0 }));
      diff.forEach((c, i) => {
        it.counts[i]! += c;
        st.counts[i]! += c;
      });
      if (outcome === 'faulted') st.faults += sum(diff);
    }
    const rows: LiveRow[] = [];
    for (const [itinerary, it] of [...byItinerary].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const finished = delta(now.completed, base.completed, itinerary) + delta(now.faults, base.faults, itinerary);
      rows.push({ itinerary, ...figures(it.counts, buckets), throughputPerSec: round(finished / seconds), faults: delta(now.faults, base.faults, itinerary) });
      for (const [step, st] of it.steps) rows.push({ itinerary, step, ...figures(st.counts, buckets), throughputPerSec: round(sum(st.counts) / seconds), faults: st.faults });
    }
    return rows;
  }
}

const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0);
const round = (n: number) => Math.round(n * 1000) / 1000;
const delta = (now: ReadonlyMap<string, number>, base: ReadonlyMap<string, number>, k: string) => (now.get(k) ?? 0) - (base.get(k) ?? 0);

/** Nearest-rank p50 and p95 in ms: the upper bound of the bucket holding the rank (the last bound past it). */
function figures(counts: Float64Array, buckets: readonly number[]): { p50Ms: number; p95Ms: number } {
  const total = sum(counts);
  const at = (q: number) => {
    if (total === 0) return 0;
    const rank = Math.ceil(q * total);
    let acc = 0;
    for (let i = 0; i < counts.length; i++) {
      acc += counts[i]!;
      if (acc >= rank) return round((buckets[Math.min(i, buckets.length - 1)] ?? 0) * 1000);
    }
    return round(buckets[buckets.length - 1]! * 1000);
  };
  return { p50Ms: at(0.5), p95Ms: at(0.95) };
}
