import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { BullMqMessageBox } from '@itinera/transport';
import { RawDuplex, http, sleep, startCluster, startTestBus, waitFor, type Cluster } from '@itinera/testing';

const ROOT = resolve(__dirname, '../..');

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Scrape {
  text: string;
  help: Map<string, string>;
  type: Map<string, string>;
  samples: Sample[];
}

/** The Prometheus text format as prom-client writes it: HELP and TYPE per family, then its samples. */
function parseScrape(text: string): Scrape {
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (m) {
      (m[1] === 'HELP' ? help : type).set(m[2]!, m[3]!);
      continue;
    }
    m = /^([^{\s]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    // prom-client writes NaN as `Nan`; Prometheus parses floats case-insensitively.
    if (!/^(nan|[+-]inf|[-+]?[0-9.]+(e[-+]?[0-9]+)?)$/i.test(m[3]!)) throw new Error(`not a sample value: ${line}`);
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { text, help, type, samples };
}

/** The family a sample belongs to: a histogram's `_bucket`, `_sum` and `_count` are its series. */
function familyOf(s: Scrape, name: string): string | undefined {
  if (s.type.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return s.type.get(base) === 'histogram' || s.type.get(base) === 'summary' ? base : undefined;
}

const find = (s: Scrape, name: string, labels: Record<string, string> = {}) =>
  s.samples.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
const value = (s: Scrape, name: string, labels: Record<string, string> = {}) => find(s, name, labels).reduce((a, x) => a + x.value, 0);

async function scrape(url: string): Promise<Scrape & { contentType: string | null }> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  return { ...parseScrape(await res.text()), contentType: res.headers.get('content-type') };
}

/** Format rules every scrape meets. */
function expectWellFormed(s: Scrape): void {
  for (const sample of s.samples) {
    const family = familyOf(s, sample.name);
    expect(family, `${sample.name} has a TYPE`).toBeDefined();
    expect(s.help.get(family!), `${family} has a HELP`).toBeTruthy();
  }
  for (const [name, type] of s.type) {
    expect(name).toMatch(/^[a-z_:][a-z0-9_:]*$/);
    if (type === 'counter') expect(name, `counter ${name}`).toMatch(/_total$/);
    // Durations, ages and lags in base units: seconds.
    if (/duration|latency|_age|_lag|_time/.test(name) && !/_start_time_seconds$/.test(name))
      expect(name, `${name} is in seconds`).toMatch(/_seconds(_total)?$/);
    expect(name).not.toMatch(/_ms$|_milliseconds/);
  }
}

/** No label value that looks like a per-message or per-session id: uuids, tokens, the ids this run saw. */
function expectBoundedLabels(s: Scrape, ids: string[]): void {
  for (const sample of s.samples) {
    for (const v of Object.values(sample.labels)) {
      expect(v, `${sample.name} label`).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i);
      for (const id of ids) expect(v).not.toContain(id);
    }
  }
  for (const id of ids) expect(s.text).not.toContain(id);
}

/** Metric names a PromQL expression uses (ours and the process metrics). */
const namesIn = (expr: string) => [...expr.matchAll(/\b((?:itinera|process|nodejs)_[a-z0-9_:]+)/g)].map((m) => m[1]!);

async function ordersEndpoint(): Promise<{ url: string; server: Server }> {
  // Customer 13's orders fail downstream: they fault after the step's retries.
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const failing = body.includes('"C-13"');
      res.writeHead(failing ? 500 : 201, { 'content-type': 'application/json' }).end(failing ? '{"error":"down"}' : '{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/orders`, server };
}

const ORDER = { productId: 7, amount: 2, customerId: 42 };
const scraped: string[] = [];

describe('/metrics on an embedded bus (prom-client)', () => {
  let bus: Awaited<ReturnType<typeof startTestBus>>;
  let endpoint: Awaited<ReturnType<typeof ordersEndpoint>>;
  let s: Awaited<ReturnType<typeof scrape>>;
  const ids: string[] = [];

  beforeAll(async () => {
    endpoint = await ordersEndpoint();
    bus = await startTestBus({ outboxLimit: 321, env: { ORDERS_ENDPOINT_URL: endpoint.url, ITINERA_SEND_ALLOWLIST: endpoint.url } });
    // Three orders over HTTP, one over a WebSocket session (its callback is delivered), one refused.
    for (let i = 0; i < 3; i++) {
      const res = await http(`${bus.url}/itineraries/orders/messages`, { body: ORDER, headers: { 'itinera-action': 'CreateOrder' } });
      expect(res.status).toBe(200);
      ids.push(res.headers.get('itinera-message-id')!);
    }
    const ws = await RawDuplex.open(bus.url);
    ids.push(ws.session!, ws.token!);
    ws.send({ type: 'send', id: 'order-1', itinerary: 'orders', action: 'CreateOrder', body: ORDER });
    const callback = await ws.next((f) => f.type === 'callback');
    ids.push(callback.correlationId);
    const failing = await http(`${bus.url}/itineraries/orders/messages`, { body: { ...ORDER, customerId: 13 }, headers: { 'itinera-action': 'CreateOrder' } });
    expect(failing.status).toBe(200);
    ids.push(failing.headers.get('itinera-message-id')!);
    const refused = await http(`${bus.url}/itineraries/orders/messages`, { body: { productId: 'x' }, headers: { 'itinera-action': 'CreateOrder' } });
    expect(refused.status).toBe(422);
    await waitFor(
      async () => {
        const now = await scrape(bus.url);
        return (value(now, 'itinera_messages_completed_total') >= 4 && value(now, 'itinera_messages_faulted_total') >= 1) || undefined;
      },
      'four orders to complete and one to fault',
      30_000,
    );
    s = await scrape(bus.url);
    scraped.push(s.text);
    ws.ws.close();
  });
  afterAll(async () => {
    await bus?.close();
    endpoint?.server.close();
  });

  it('serves prom-client text: HELP and TYPE for every family, Prometheus names, seconds, _total', () => {
    expect(s.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expectWellFormed(s);
  });

  it('counts messages per itinerary and on-ramp, and refusals per code', () => {
    expect(value(s, 'itinera_messages_accepted_total', { itinerary: 'orders', transport: 'http' })).toBe(4);
    expect(value(s, 'itinera_messages_accepted_total', { itinerary: 'orders', transport: 'ws' })).toBe(1);
    expect(value(s, 'itinera_messages_faulted_total', { itinerary: 'orders', transport: 'http' })).toBe(1);
    expect(find(s, 'itinera_messages_faulted_total')[0]!.labels.code).toMatch(/^[A-Z][A-Z_]+$/);
    expect(value(s, 'itinera_messages_completed_total', { itinerary: 'orders', transport: 'http' })).toBe(3);
    expect(value(s, 'itinera_messages_completed_total', { itinerary: 'orders', transport: 'ws' })).toBe(1);
    expect(value(s, 'itinera_messages_rejected_total', { transport: 'http' })).toBe(1);
    expect(find(s, 'itinera_messages_rejected_total')[0]!.labels.code).toMatch(/^[A-Z_]+$/);
  });

  it('has step durations per itinerary, step id and outcome in seconds', () => {
    expect(s.type.get('itinera_step_duration_seconds')).toBe('histogram');
    const count = (step: string) => value(s, 'itinera_step_duration_seconds_count', { itinerary: 'orders', step, outcome: 'completed' });
    expect(count('validate')).toBe(5);
    expect(value(s, 'itinera_step_duration_seconds_count', { itinerary: 'orders', step: 'deliver', outcome: 'faulted' })).toBe(1);
    expect(count('deliver')).toBe(4);
    const inf = find(s, 'itinera_step_duration_seconds_bucket', { step: 'deliver', outcome: 'completed', le: '+Inf' });
    expect(inf.reduce((a, x) => a + x.value, 0)).toBe(4);
    // A step takes well under a minute: the sum is seconds, not milliseconds.
    expect(value(s, 'itinera_step_duration_seconds_sum', { step: 'deliver' })).toBeLessThan(60);
  });

  it('counts sends per adapter, endpoint host and outcome', () => {
    const host = new URL(endpoint.url).host;
    expect(value(s, 'itinera_send_total', { adapter: 'http', host, outcome: 'ok' })).toBe(4);
    const failed = find(s, 'itinera_send_total', { adapter: 'http', host }).filter((x) => x.labels.outcome !== 'ok');
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) expect(f.labels.outcome).toMatch(/^[A-Z][A-Z0-9_]+$/);
    expect(find(s, 'itinera_endpoint_circuit_state')[0]).toMatchObject({ value: 0 });
  });

  it('shows duplex sessions, delivered callbacks, outbox depth and its limit', () => {
    expect(value(s, 'itinera_duplex_sessions')).toBe(1);
    expect(value(s, 'itinera_duplex_connections', { transport: 'ws' })).toBe(1);
    expect(value(s, 'itinera_callbacks_delivered_total', { transport: 'ws' })).toBe(1);
    expect(value(s, 'itinera_callbacks_redelivered_total', { transport: 'ws' })).toBe(0);
    // The callback was not acknowledged: it is still pending in the session's outbox.
    expect(value(s, 'itinera_duplex_outbox_frames')).toBe(1);
    expect(value(s, 'itinera_duplex_outbox_frames_max')).toBe(1);
    expect(value(s, 'itinera_duplex_outbox_limit_frames')).toBe(321);
  });

  it('shows queue depth of the embedded box and the process metrics', () => {
    expect(find(s, 'itinera_queue_jobs', { queue: 'itinera.work', state: 'waiting' })).toHaveLength(1);
    expect(find(s, 'itinera_redis_up')).toHaveLength(0);
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(find(s, name).length, name).toBeGreaterThan(0);
    }
  });

  it('puts no message, session or correlation id in a label', () => {
    expect(ids.every(Boolean)).toBe(true);
    expectBoundedLabels(s, ids);
  });

  it('a second bus in the process keeps its own series', async () => {
    const other = await startTestBus();
    try {
      const o = await scrape(other.url);
      expect(find(o, 'itinera_messages_accepted_total')).toHaveLength(0);
      expect(find(o, 'process_cpu_seconds_total')).toHaveLength(1);
    } finally {
      await other.close();
    }
  });
});

describe('/metrics on a BullMQ cluster', () => {
  let cluster: Cluster;
  const ids: string[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ gateways: 1, workers: 1 });
  }, 120_000);
  afterAll(async () => cluster?.stop());

  it('shows Redis up, queue depth and age, and the worker side of each message', async () => {
    const [gateway] = cluster.gateways;
    const [worker] = cluster.workers;
    for (let i = 0; i < 3; i++) {
      const res = await http(`${gateway!.url}/itineraries/orders/messages`, { body: ORDER, headers: { 'itinera-action': 'CreateOrder' } });
      expect(res.status).toBe(200);
      ids.push(res.headers.get('itinera-message-id')!);
    }
    await waitFor(
      async () => value(await scrape(worker!.url), 'itinera_messages_completed_total', { itinerary: 'orders' }) >= 3 || undefined,
      'three orders to complete',
      30_000,
    );
    const g = await scrape(gateway!.url);
    const w = await scrape(worker!.url);
    scraped.push(g.text, w.text);
    for (const s of [g, w]) {
      expectWellFormed(s);
      expectBoundedLabels(s, ids);
      expect(value(s, 'itinera_redis_up')).toBe(1);
      for (const state of ['waiting', 'active', 'delayed']) expect(find(s, 'itinera_queue_jobs', { queue: 'itinera.work', state }), state).toHaveLength(1);
      expect(find(s, 'itinera_queue_oldest_waiting_age_seconds', { queue: 'itinera.work' })).toHaveLength(1);
      // The queue on-ramp of the order-fulfilment sample is one of the bus's queues too.
      expect(find(s, 'itinera_queue_jobs', { queue: 'orders.fulfilment', state: 'waiting' })).toHaveLength(1);
    }
    expect(value(g, 'itinera_messages_accepted_total', { itinerary: 'orders', transport: 'http' })).toBe(3);
    expect(value(w, 'itinera_messages_completed_total', { itinerary: 'orders', transport: 'http' })).toBe(3);
    expect(value(w, 'itinera_step_duration_seconds_count', { itinerary: 'orders', step: 'route', outcome: 'completed' })).toBe(3);
    // No endpoint configured: orders go to the orders.fulfilment queue, a local address.
    expect(value(w, 'itinera_send_total', { adapter: 'queue', host: 'local', outcome: 'ok' })).toBe(3);
  }, 60_000);

  it("BullMQ box: depth and the oldest waiting job's age, keyed jobs included", async () => {
    const box = new BullMqMessageBox({ connection: cluster.redis.url, prefix: 'metricsprobe' });
    try {
      const firstStart = Date.now();
      await box.publish('probe', { n: 1 });
      const firstEnd = Date.now();
      await sleep(300);
      await box.publish('probe', { n: 2 }, { orderingKey: 'session-a' });
      await box.publish('probe', { n: 3 }, { delayMs: 60_000 });
      const statsStart = Date.now();
      const [stats] = await box.queueStats(['probe']);
      const statsEnd = Date.now();
      expect(stats).toMatchObject({ queue: 'probe', waiting: 2, active: 0, delayed: 1 });
      // The first job's age, not the newest one's: between what the two clocks allow.
      expect(stats!.oldestWaitingMs).toBeGreaterThanOrEqual(statsStart - firstEnd);
      expect(stats!.oldestWaitingMs).toBeLessThanOrEqual(statsEnd - firstStart);
      expect((await box.queueStats(['empty']))[0]).toEqual({ queue: 'empty', waiting: 0, active: 0, delayed: 0, oldestWaitingMs: 0 });
    } finally {
      await box.close();
    }
  });
});

describe('the Grafana dashboard and the alert rules', () => {
  const known = () => {
    expect(scraped.length, 'the scrapes above ran').toBeGreaterThanOrEqual(3);
    const names = new Set<string>();
    // A family a scrape declares exists, with or without samples yet (a counter nothing has counted).
    for (const text of scraped) {
      const s = parseScrape(text);
      for (const x of s.samples) names.add(x.name);
      for (const [name, type] of s.type) for (const suffix of type === 'histogram' ? ['_bucket', '_sum', '_count'] : ['']) names.add(name + suffix);
    }
    return names;
  };

  it('the dashboard is valid JSON with panels, each querying metrics a scrape has', () => {
    const dash = JSON.parse(readFileSync(resolve(ROOT, 'deploy/grafana/itinera.json'), 'utf8'));
    expect(dash.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dash.templating.list.some((v: any) => v.type === 'datasource' && v.query === 'prometheus')).toBe(true);
    const panels = (dash.panels as any[]).flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThanOrEqual(8);
    const names = known();
    for (const p of panels) {
      expect(p.targets?.length, `panel ${p.title} has queries`).toBeGreaterThan(0);
      for (const t of p.targets) {
        expect(t.datasource?.uid).toBe('${datasource}');
        expect(namesIn(t.expr).length, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
        for (const n of namesIn(t.expr)) expect(names.has(n), `${p.title} uses ${n}`).toBe(true);
      }
    }
  });

  it('every alert rule names metrics a scrape has', () => {
    const doc = parseYaml(readFileSync(resolve(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8'));
    const rules = (doc.groups as any[]).flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining(['ItineraRedisDown', 'ItineraFaultsRising', 'ItineraOutboxNearLimit', 'ItineraQueueStalled']),
    );
    const names = known();
    for (const r of rules) {
      expect(r.labels?.severity, r.alert).toBeTruthy();
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(namesIn(r.expr).length, r.alert).toBeGreaterThan(0);
      for (const n of namesIn(r.expr)) expect(names.has(n), `${r.alert} uses ${n}`).toBe(true);
    }
  });
});
