/**
 * A small Prometheus text-format registry: counters and histograms with labels.
 * Enough for `GET /metrics` without a dependency; recording is a map lookup.
 */
type Labels = Record<string, string>;

/** Label sets repeat (a few services × outcomes): their rendered keys are cached. */
const keyCache = new Map<string, string>();
const key = (labels: Labels): string => {
  let probe = '';
  for (const k in labels) probe += k + '\u0000' + labels[k] + '\u0001';
  let hit = keyCache.get(probe);
  if (hit === undefined) {
    hit = renderKey(labels);
    if (keyCache.size < 10_000) keyCache.set(probe, hit);
  }
  return hit;
};

const renderKey = (labels: Labels) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');

class Counter {
  private readonly values = new Map<string, number>();
  /** Two-label series by value, for the per-step hot path (no key string per call). */
  private readonly pairs = new Map<string, Map<string, string>>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  /** `inc({ [l1]: v1, [l2]: v2 })` without building the labels or their key each time. */
  inc2(l1: string, v1: string, l2: string, v2: string): void {
    let inner = this.pairs.get(v1);
    if (!inner) this.pairs.set(v1, (inner = new Map()));
    let k = inner.get(v2);
    if (k === undefined) inner.set(v2, (k = renderKey({ [l1]: v1, [l2]: v2 })));
    this.values.set(k, (this.values.get(k) ?? 0) + 1);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ''} ${v}`);
    return lines.join('\n');
  }
}

class Histogram {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
  ) {}
  private readonly byOne = new Map<string, string>();
  /** `observe({ [label]: v }, value)` without building the labels or their key each time. */
  observe1(label: string, v: string, value: number): void {
    let k = this.byOne.get(v);
    if (k === undefined) this.byOne.set(v, (k = renderKey({ [label]: v })));
    this.observeKey(k, value);
  }
  observe(labels: Labels, value: number): void {
    this.observeKey(key(labels), value);
  }
  private observeKey(k: string, value: number): void {
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) s.counts[i]++;
    s.sum += value;
    s.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.series) {
      const sep = k ? `${k},` : '';
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{${sep}le="${b}"} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket{${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${k ? `{${k}}` : ''} ${s.sum}`);
      lines.push(`${this.name}_count${k ? `{${k}}` : ''} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export class Metrics {
  readonly messagesAccepted = new Counter('itinera_messages_accepted_total', 'Messages durably accepted by an on-ramp.');
  readonly messagesRejected = new Counter('itinera_messages_rejected_total', 'Messages refused by an on-ramp, by error code.');
  readonly messagesCompleted = new Counter('itinera_messages_completed_total', 'Itineraries run to the end.');
  readonly messagesFaulted = new Counter('itinera_messages_faulted_total', 'Itineraries that failed for good, by error code.');
  readonly steps = new Counter('itinera_steps_total', 'Steps run, by service and outcome.');
  readonly stepDuration = new Histogram('itinera_step_duration_ms', 'Step duration in milliseconds.', [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000]);
  readonly callbacks = new Counter('itinera_callbacks_total', 'Callback and fault frames pushed to session outboxes.');
  private readonly gauges = new Map<string, { help: string; read: () => number }>();

  gauge(name: string, help: string, read: () => number): void {
    this.gauges.set(name, { help, read });
  }

  private readonly labelled = new Map<string, { help: string; type: 'gauge' | 'counter'; read: () => { labels: Labels; value: number }[] }>();

  /** Labelled series kept elsewhere (per-endpoint circuit state, say), read at render time. */
  series(name: string, help: string, type: 'gauge' | 'counter', read: () => { labels: Labels; value: number }[]): void {
    this.labelled.set(name, { help, type, read });
  }

  render(): string {
    const parts = [
      this.messagesAccepted,
      this.messagesRejected,
      this.messagesCompleted,
      this.messagesFaulted,
      this.steps,
      this.stepDuration,
      this.callbacks,
    ].map((m) => m.render());
    for (const [name, g] of this.gauges) parts.push(`# HELP ${name} ${g.help}\n# TYPE ${name} gauge\n${name} ${g.read()}`);
    for (const [name, s] of this.labelled) {
      const lines = [`# HELP ${name} ${s.help}`, `# TYPE ${name} ${s.type}`];
      for (const { labels, value } of s.read()) lines.push(`${name}{${renderKey(labels)}} ${value}`);
      parts.push(lines.join('\n'));
    }
    return parts.join('\n') + '\n';
  }
}
