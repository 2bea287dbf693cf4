import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { LabelCap } from './label-cap';
import { StepHistogram } from './step-histogram';

/**
 * The bus's Prometheus metrics on prom-client. Each bus has its own Registry, so
 * several buses in one process (tests) never share a series; the process metrics
 * (CPU, memory, event loop, GC) describe the process, not a bus, and are collected
 * once per process into a registry every bus's scrape appends.
 *
 * Label values are bounded: itinerary and step ids come from deployed definitions,
 * outcomes and codes from fixed sets, endpoint hosts are capped (LabelCap); never a
 * message, session or correlation id.
 */

/** Step durations: sub-millisecond maps up to slow downstream calls. */
export const STEP_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Distinct endpoint hosts labelled before the rest count as `other`. */
export const MAX_SEND_HOSTS = 50;

let processRegistry: Registry | undefined;
/** Default metrics, unprefixed (`process_cpu_seconds_total`, `nodejs_eventloop_lag_seconds`): stock Node.js dashboards read them. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** Children by label values, cached: `labels()` hashes its arguments on every call; nested maps build no key string. */
class Children<T> {
  private readonly map = new Map<string, Map<string, Map<string, T>>>();
  constructor(private readonly make: (values: string[]) => T) {}
  get(a: string, b: string, c = ''): T {
    let byB = this.map.get(a);
    if (!byB) this.map.set(a, (byB = new Map()));
    let byC = byB.get(b);
    if (!byC) byB.set(b, (byC = new Map()));
    let hit = byC.get(c);
    if (hit === undefined) byC.set(c, (hit = this.make([a, b, c])));
    return hit;
  }
}

type Collect = () => void | Promise<void>;

export class Metrics {
  readonly registry = new Registry();
  /** Content type of `render()` (Prometheus text format 0.0.4). */
  readonly contentType = this.registry.contentType;

  private readonly acceptedTotal = this.counter('itinera_messages_accepted_total', 'Messages durably accepted, by itinerary and on-ramp transport.', [
    'itinerary',
    'transport',
  ]);
  private readonly rejectedTotal = this.counter('itinera_messages_rejected_total', 'Messages an on-ramp refused, by error code and transport.', [
    'code',
    'transport',
  ]);
  private readonly completedTotal = this.counter(
    'itinera_messages_completed_total',
    'Messages whose itinerary ran to the end, by itinerary and on-ramp transport.',
    ['itinerary', 'transport'],
  );
  private readonly faultedTotal = this.counter(
    'itinera_messages_faulted_total',
    'Messages whose itinerary failed for good, by itinerary, on-ramp transport and error code.',
    ['itinerary', 'transport', 'code'],
  );
  private readonly stepSeconds = new StepHistogram(
    'itinera_step_duration_seconds',
    'Step duration, by itinerary, step id and outcome (completed, skipped, faulted, ...).',
    ['itinerary', 'step', 'outcome'],
    STEP_SECONDS_BUCKETS,
  );
  private readonly sendTotal = this.counter('itinera_send_total', 'Send adapter calls, by adapter, endpoint host and outcome (ok or the error code).', [
    'adapter',
    'host',
    'outcome',
  ]);

  private readonly accepted = new Children((v) => this.acceptedTotal.labels(v[0]!, v[1]!));
  private readonly rejectedBy = new Children((v) => this.rejectedTotal.labels(v[0]!, v[1]!));
  private readonly completedBy = new Children((v) => this.completedTotal.labels(v[0]!, v[1]!));
  private readonly faultedBy = new Children((v) => this.faultedTotal.labels(v[0]!, v[1]!, v[2]!));
  private readonly sends = new Children((v) => this.sendTotal.labels(v[0]!, v[1]!, v[2]!));
  private readonly hosts = new LabelCap(MAX_SEND_HOSTS);
  private readonly collectors: Collect[] = [];
  private readonly faultsOf = new Map<string, number>();
  private readonly completedOf = new Map<string, number>();

  constructor() {
    this.registry.registerMetric(this.stepSeconds.asMetric());
  }

  messageAccepted(itinerary: string, transport: string): void {
    this.accepted.get(itinerary, transport).inc();
  }

  messageRejected(code: string, transport: string): void {
    this.rejectedBy.get(code, transport).inc();
  }

  messageCompleted(itinerary: string, transport: string): void {
    this.completedBy.get(itinerary, transport).inc();
    this.completedOf.set(itinerary, (this.completedOf.get(itinerary) ?? 0) + 1);
  }

  /** Messages completed by this process per itinerary, since it started (GET /live takes differences). */
  completedCounts(): ReadonlyMap<string, number> {
    return this.completedOf;
  }

  messageFaulted(itinerary: string, transport: string, code: string): void {
    this.faultedBy.get(itinerary, transport, code).inc();
    this.faultsOf.set(itinerary, (this.faultsOf.get(itinerary) ?? 0) + 1);
  }

  /** Faults recorded by this process per itinerary, since it started (GET /live takes differences). */
  faultCounts(): ReadonlyMap<string, number> {
    return this.faultsOf;
  }

  /** Step durations per itinerary, step and outcome since the process started: bucket counts with their bounds in seconds. */
  stepCounts(): { buckets: readonly number[]; series: ReturnType<StepHistogram['snapshot']> } {
    return { buckets: STEP_SECONDS_BUCKETS, series: this.stepSeconds.snapshot() };
  }

  step(itinerary: string, step: string, outcome: string, durationMs: number): void {
    this.stepSeconds.observe(itinerary, step, outcome, durationMs / 1000);
  }

  /** One send adapter call; `address` is reduced to its host (capped), `outcome` is `ok` or an error code. */
  sent(adapter: string, address: string, outcome: string): void {
    this.sends.get(adapter, this.hosts.value(hostOf(address)), outcome).inc();
  }

  /** Only the first `max` hosts get their own series; later ones are `other`. */
  limitHosts(allowList: readonly string[]): void {
    for (const entry of allowList) this.hosts.value(hostOf(entry));
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /**
   * A gauge (or counter) whose values are read on scrape, from state kept elsewhere
   * (queue depth, circuit state, sessions). `read` sets them; it may be async.
   */
  collected<L extends string>(
    type: 'gauge' | 'counter',
    name: string,
    help: string,
    labelNames: readonly L[],
    read: (set: (labels: Partial<Record<L, string>>, value: number) => void) => void | Promise<void>,
  ): void {
    const registers = [this.registry];
    if (type === 'gauge') {
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          this.reset();
          await read((labels, value) => this.set(labels, value));
        },
      });
      return;
    }
    // A counter kept elsewhere is read whole: set to its total on every scrape.
    new Counter<L>({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        this.reset();
        await read((labels, value) => this.inc(labels, value));
      },
    });
  }

  /** Work to do before every scrape (one store round trip shared by several gauges). */
  beforeScrape(fn: Collect): void {
    this.collectors.push(fn);
  }

  /** The Prometheus text of this bus's metrics and the process's. */
  async render(): Promise<string> {
    await Promise.all(this.collectors.map((c) => Promise.resolve(c()).catch(() => undefined)));
    const [bus, proc] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return `${bus}\n${proc}`;
  }
}

/** `https://api.example.com:8443/x` → `api.example.com:8443`; a queue name or other non-URL address → `local`. */
export function hostOf(address: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^/?#]+)/i.exec(address);
  return m ? m[1]!.toLowerCase() : 'local';
}
