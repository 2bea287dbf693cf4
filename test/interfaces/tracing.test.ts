import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createLogger } from '@itinera/observability';
import { RawDuplex, SAMPLES_DIR, http, startRedis, startTestBus, waitFor, type RedisServer } from '@itinera/testing';

/**
 * One trace end to end, collected by an in-memory exporter: HTTP on-ramp (with the caller's
 * traceparent) → gateway → BullMQ → worker → queue send → BullMQ → queue on-ramp → worker →
 * HTTP send to a local endpoint, which receives the same trace id. Gateway and worker are two
 * bus nodes in this process (the SDK is registered here), talking through a real Redis.
 */

const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN}-01`;

const ITINERARIES = [
  {
    name: 'trace-in',
    version: '1.0.0',
    actions: { Ship: {} },
    steps: [
      { id: 'canonical', service: 'transform', stage: 'receive', options: { expression: '{ "sku": body.sku, "qty": body.qty, "flaky": body.flaky }' } },
      { id: 'pick-route', service: 'route', resolver: { type: 'rules', policy: 'trace-routing' } },
      { id: 'hand-off', service: 'send' },
    ],
  },
  {
    name: 'trace-out',
    version: '1.0.0',
    onRamps: { http: false, duplex: false, queue: [{ queue: 'trace.shipping' }] },
    steps: [
      {
        id: 'deliver',
        service: 'send',
        options: { adapter: 'http', address: '${env:TRACE_TARGET_URL}', config: 'timeoutMs=2000' },
        retry: { attempts: 2, backoffMs: 10 },
      },
    ],
  },
];

const POLICY = {
  name: 'trace-routing',
  version: '1.0.0',
  mode: 'first',
  defaults: { adapter: 'log', address: 'trace.small' },
  rules: [
    {
      name: 'bulk-to-shipping',
      priority: 10,
      conditions: { all: [{ fact: 'body', path: '$.qty', operator: 'greaterThan', value: 10 }] },
      params: { adapter: 'queue', address: 'trace.shipping', config: 'itinerary=trace-out' },
    },
  ],
};

interface Received {
  headers: IncomingHttpHeaders;
  body: any;
}

/** The send target; it answers 503 to the first delivery of a body with `flaky: true`. */
async function endpoint(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const body = JSON.parse(data);
      received.push({ headers: req.headers, body });
      if (body.flaky && received.filter((r) => r.body.sku === body.sku).length === 1) return void res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/shipments`, received, server };
}

describe('OpenTelemetry trace context end to end (BullMQ)', () => {
  let redis: RedisServer;
  let dir: string;
  let target: Awaited<ReturnType<typeof endpoint>>;
  let gateway: Awaited<ReturnType<typeof startTestBus>>;
  let worker: Awaited<ReturnType<typeof startTestBus>>;
  const lines: any[] = [];

  beforeAll(async () => {
    redis = await startRedis({ appendonly: false });
    target = await endpoint();
    dir = mkdtempSync(join(tmpdir(), 'itinera-tracing-'));
    cpSync(SAMPLES_DIR, dir, { recursive: true });
    for (const def of ITINERARIES) writeFileSync(join(dir, `${def.name}.json`), JSON.stringify(def));
    writeFileSync(join(dir, 'policies', 'trace-routing@1.0.0.json'), JSON.stringify(POLICY));
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = createLogger({ level: 'info', destination: sink });
    // The endpoint is on loopback and the hop is a queue send: both listed, as an operator would list them.
    const env = {
      ITINERA_TRANSPORT: 'bullmq',
      REDIS_URL: redis.url,
      ITINERA_ENV_FACTS: 'TRACE_TARGET_URL',
      TRACE_TARGET_URL: target.url,
      ITINERA_SEND_ALLOWLIST: `${target.url},trace.shipping`,
    };
    gateway = await startTestBus({ itinerariesDir: dir, roles: { gateway: true, worker: false }, env, logger });
    worker = await startTestBus({ itinerariesDir: dir, roles: { gateway: false, worker: true }, env, logger });
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    await worker?.close();
    target?.server.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const named = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
  const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

  it('one trace from the caller through both hops to the endpoint, one span per step, the rules decision on its span', async () => {
    const res = await http(`${gateway.url}/itineraries/trace-in/messages`, {
      body: { sku: 'P-7', qty: 12 },
      headers: { 'itinera-action': 'Ship', traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const got = await waitFor(() => target.received.find((r) => r.body.sku === 'P-7'), 'the endpoint to receive the shipment');
    const sent = String(got.headers.traceparent);
    expect(sent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    expect(got.headers.tracestate).toBe('congo=t61rcWkgMzE');

    const spans = await waitFor(() => {
      const all = spansOf(TRACE_ID);
      return named(all, 'itinera.message trace-out').length === 2 ? all : undefined;
    }, 'every span of the trace to end');
    // Each step once, whatever node ran it.
    expect(
      spans
        .filter((s) => s.name.startsWith('itinera.step '))
        .map((s) => s.name)
        .sort(),
    ).toEqual(['canonical', 'deliver', 'hand-off', 'pick-route'].map((id) => `itinera.step ${id}`));
    const step = (id: string) => named(spans, `itinera.step ${id}`)[0];

    // The chain: caller → gateway span → worker span → queue on-ramp span (child of the sending step) → worker span → endpoint.
    const onRamp = named(spans, 'itinera.message trace-in').find((s) => s.kind === SpanKind.SERVER)!;
    const work = named(spans, 'itinera.message trace-in').find((s) => s.kind === SpanKind.CONSUMER)!;
    expect(parentOf(onRamp)).toBe(CALLER_SPAN);
    expect(onRamp.attributes).toMatchObject({
      'itinera.transport': 'http',
      'itinera.itinerary': 'trace-in',
      'itinera.action': 'Ship',
      'itinera.message.id': res.body.messageId,
    });
    expect(parentOf(step('canonical'))).toBe(onRamp.spanContext().spanId);
    expect(work.attributes).toMatchObject({ 'itinera.queue': 'itinera.work', 'itinera.message.id': res.body.messageId });
    expect(parentOf(work)).toBe(onRamp.spanContext().spanId);
    expect(parentOf(step('pick-route'))).toBe(work.spanContext().spanId);
    expect(parentOf(step('hand-off'))).toBe(work.spanContext().spanId);

    // Both halves of the queue hop consume: the queue on-ramp's span says its transport, the worker's its queue.
    const queued = named(spans, 'itinera.message trace-out').find((s) => s.attributes['itinera.transport'] === 'queue')!;
    const delivered = named(spans, 'itinera.message trace-out').find((s) => s.attributes['itinera.queue'] === 'itinera.work')!;
    expect([queued.kind, delivered.kind]).toEqual([SpanKind.CONSUMER, SpanKind.CONSUMER]);
    expect(parentOf(queued)).toBe(step('hand-off').spanContext().spanId);
    expect(parentOf(delivered)).toBe(queued.spanContext().spanId);
    expect(parentOf(step('deliver'))).toBe(delivered.spanContext().spanId);
    // The endpoint's parent is the sending step's span.
    expect(sent.slice(36, 52)).toBe(step('deliver').spanContext().spanId);

    // What the rules decided, as attributes of the step they decided.
    expect(step('pick-route').attributes).toMatchObject({
      'itinera.step.service': 'route',
      'itinera.step.outcome': 'completed',
      'itinera.step.attempt': 1,
      'itinera.resolver.type': 'rules',
      'itinera.resolver.source': 'trace-routing@1.0.0',
      'itinera.resolver.fired': ['bulk-to-shipping'],
      'itinera.resolver.winner': 'bulk-to-shipping',
      'itinera.resolver.param.adapter': 'queue',
      'itinera.resolver.param.address': 'trace.shipping',
    });
    for (const s of spans) expect(s.status.code, s.name).not.toBe(SpanStatusCode.ERROR);

    // Every step line of the message carries the trace id and its own step's span id.
    const stepLines = await waitFor(() => {
      const found = lines.filter((l) => l.msg === 'step' && l.trace_id === TRACE_ID);
      return found.length >= 4 ? found : undefined;
    }, 'the step lines');
    for (const l of stepLines) expect(l.span_id, l.step).toBe(step(l.step).spanContext().spanId);
    // And so does every other line about either message (the two itineraries' message ids).
    const ids = new Set([res.body.messageId, queued.attributes['itinera.message.id']]);
    const about = lines.filter((l) => ids.has(l.messageId));
    expect(about.length).toBeGreaterThanOrEqual(4);
    expect(about.filter((l) => l.trace_id !== TRACE_ID)).toEqual([]);
  });

  it('a message without a traceparent (or with an invalid one) starts its own trace, which still reaches the endpoint', async () => {
    const res = await http(`${gateway.url}/itineraries/trace-in/messages`, {
      body: { sku: 'P-8', qty: 20 },
      headers: { 'itinera-action': 'Ship', traceparent: '00-not-a-trace-01' },
    });
    expect(res.status).toBe(202);
    const got = await waitFor(() => target.received.find((r) => r.body.sku === 'P-8'), 'the endpoint to receive the shipment');
    const traceId = String(got.headers.traceparent).slice(3, 35);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe(TRACE_ID);
    const onRamp = await waitFor(
      () => named(spansOf(traceId), 'itinera.message trace-in').find((s) => s.kind === SpanKind.SERVER),
      'the on-ramp span of the new trace',
    );
    expect(onRamp.parentSpanContext).toBeUndefined();
  });

  it('a resubmitted fault keeps its trace: the repaired message reaches the endpoint in the same trace', async () => {
    const traceId = 'a3ce929d0e0e47364bf92f3577b34da6';
    // 3 items: the policy's default (a log address not on the allow-list) faults the message on the worker.
    const res = await http(`${gateway.url}/itineraries/trace-in/messages`, {
      body: { sku: 'P-11', qty: 3 },
      headers: { 'itinera-action': 'Ship', traceparent: `00-${traceId}-${CALLER_SPAN}-01` },
    });
    expect(res.status).toBe(202);
    const fault = await waitFor(
      async () => (await http(`${gateway.url}/faults`)).body.faults.find((f: any) => f.messageId === res.body.messageId),
      'the fault',
    );
    expect(fault.error.code).toBe('ADDRESS_NOT_ALLOWED');
    const failed = named(spansOf(traceId), 'itinera.step pick-route')[0];
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.events.map((e) => e.name)).toContain('exception');
    expect(failed.attributes).toMatchObject({ 'itinera.step.outcome': 'faulted', 'itinera.resolver.defaults': true });
    // The fault is stored before its line is logged (the record update comes between): wait for the line.
    const line = await waitFor(() => lines.find((l) => l.msg === 'itinerary faulted' && l.messageId === res.body.messageId), 'the fault line');
    expect(line).toMatchObject({ trace_id: traceId });

    const again = await http(`${gateway.url}/faults/${fault.id}/resubmit`, { body: { body: { sku: 'P-11', qty: 30 } } });
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    const got = await waitFor(() => target.received.find((r) => r.body.sku === 'P-11'), 'the repaired message to reach the endpoint');
    expect(String(got.headers.traceparent).slice(3, 35)).toBe(traceId);
  });

  it('a retried step: a span per delivery, the failed attempt an exception and a retry event, the last attempt its outcome', async () => {
    const traceId = '5b8aa5a2d2c872e8321cf37308d69df2';
    const res = await http(`${gateway.url}/itineraries/trace-in/messages`, {
      body: { sku: 'P-12', qty: 15, flaky: true },
      headers: { 'itinera-action': 'Ship', traceparent: `00-${traceId}-${CALLER_SPAN}-01` },
    });
    expect(res.status).toBe(202);
    // The retry waits in the message box (no slot held), so the next attempt is a new delivery with its own span.
    const deliver = await waitFor(() => {
      const found = named(spansOf(traceId), 'itinera.step deliver');
      return found.length === 2 ? found : undefined;
    }, 'both deliver spans');
    const [first, last] = [...deliver].sort((x, y) => Number(x.attributes['itinera.step.attempt']) - Number(y.attributes['itinera.step.attempt']));
    expect(first!.attributes).toMatchObject({ 'itinera.step.outcome': 'retried', 'itinera.step.attempt': 1 });
    expect(first!.events.map((e) => e.name)).toEqual(['exception', 'itinera.step.retry']);
    expect(first!.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(last!.attributes).toMatchObject({ 'itinera.step.outcome': 'completed', 'itinera.step.attempt': 2 });
    expect(last!.status.code).not.toBe(SpanStatusCode.ERROR);
    // Both attempts went out in the same trace, each with its attempt's span as parent.
    const sent = target.received.filter((r) => r.body.sku === 'P-12').map((r) => r.headers.traceparent);
    expect(sent).toEqual([`00-${traceId}-${first!.spanContext().spanId}-01`, `00-${traceId}-${last!.spanContext().spanId}-01`]);
  });

  it('a duplex send frame joins the trace its traceparent names; an invalid one is ignored (a trace of its own)', async () => {
    const ws = await RawDuplex.open(gateway.url);
    try {
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      ws.send({
        type: 'send',
        id: 'f1',
        itinerary: 'trace-in',
        action: 'Ship',
        body: { sku: 'P-9', qty: 1 },
        traceparent: `00-${traceId}-b7ad6b7169203331-01`,
      });
      expect(await ws.next((f) => f.id === 'f1')).toMatchObject({ type: 'accepted' });
      const onRamp = await waitFor(() => named(spansOf(traceId), 'itinera.message trace-in').find((s) => s.kind === SpanKind.SERVER), 'the on-ramp span');
      expect(onRamp.attributes['itinera.transport']).toBe('ws');
      expect(parentOf(onRamp)).toBe('b7ad6b7169203331');

      ws.send({ type: 'send', id: 'f2', itinerary: 'trace-in', action: 'Ship', body: { sku: 'P-10', qty: 1 }, traceparent: 'garbage' });
      const accepted = await ws.next((f) => f.id === 'f2');
      expect(accepted).toMatchObject({ type: 'accepted' });
      const own = await waitFor(
        () => exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER && s.attributes['itinera.message.id'] === accepted.messageId),
        'the on-ramp span of the ignored traceparent',
      );
      expect(own.spanContext().traceId).not.toBe(traceId);
      expect(own.parentSpanContext).toBeUndefined();
    } finally {
      await ws.close();
    }
  });
});
