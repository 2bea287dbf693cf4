import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@itinera/observability';
import { http, startTestBus, waitFor } from '@itinera/testing';

/**
 * No OpenTelemetry SDK in this process: `@opentelemetry/api` is a no-op, yet the caller's
 * traceparent reaches the send adapter unchanged and the message's log lines carry its trace id
 * (no span id: the only one known is the caller's, not a span of the line).
 */

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

async function endpoint(): Promise<{ url: string; received: { headers: IncomingHttpHeaders; body: any }[]; server: Server }> {
  const received: { headers: IncomingHttpHeaders; body: any }[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const body = JSON.parse(data);
      received.push({ headers: req.headers, body });
      // SKU P-9 is refused for good: the order faults.
      if (body.sku === 'P-9') return void res.writeHead(400).end();
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/orders`, received, server };
}

describe('trace context without an SDK (embedded bus, orders sample)', () => {
  let bus: Awaited<ReturnType<typeof startTestBus>>;
  let target: Awaited<ReturnType<typeof endpoint>>;
  const lines: any[] = [];

  beforeAll(async () => {
    target = await endpoint();
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    bus = await startTestBus({
      env: { ORDERS_ENDPOINT_URL: target.url, ITINERA_SEND_ALLOWLIST: target.url },
      logger: createLogger({ level: 'info', destination: sink }),
    });
  });
  afterAll(async () => {
    await bus?.close();
    target?.server.close();
  });

  it('forwards the incoming traceparent and tracestate unchanged to the HTTP endpoint', async () => {
    const res = await http(`${bus.url}/itineraries/orders/messages`, {
      body: { productId: 7, amount: 2, customerId: 42 },
      headers: { 'itinera-action': 'CreateOrder', traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE' },
    });
    expect(res.status).toBe(200);
    const id = res.headers.get('itinera-message-id');
    const got = await waitFor(() => target.received.find((r) => r.headers['itinera-message-id'] === id), 'the order at the endpoint');
    expect(got.headers.traceparent).toBe(TRACEPARENT);
    expect(got.headers.tracestate).toBe('congo=t61rcWkgMzE');
    const steps = await waitFor(() => {
      const found = lines.filter((l) => l.msg === 'step' && l.messageId === id);
      return found.length === 7 ? found : undefined;
    }, 'the step lines');
    for (const l of steps) {
      expect(l, l.step).toMatchObject({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' });
      expect(l, l.step).not.toHaveProperty('span_id');
    }
    // No line about the message names the caller's span as its own.
    expect(lines.filter((l) => l.messageId === id && l.span_id !== undefined)).toEqual([]);
  });

  it("a fault's log line carries the trace too", async () => {
    const res = await http(`${bus.url}/itineraries/orders/messages`, {
      body: { productId: 9, amount: 2, customerId: 42 },
      headers: { 'itinera-action': 'CreateOrder', traceparent: TRACEPARENT },
    });
    const id = res.headers.get('itinera-message-id');
    const line = await waitFor(() => lines.find((l) => l.msg === 'itinerary faulted' && l.messageId === id), 'the fault line');
    expect(line).toMatchObject({ step: 'deliver', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' });
    expect(line).not.toHaveProperty('span_id');
  });

  it('sends no traceparent when none came in', async () => {
    const res = await http(`${bus.url}/itineraries/orders/messages`, {
      body: { productId: 8, amount: 2, customerId: 42 },
      headers: { 'itinera-action': 'CreateOrder' },
    });
    const id = res.headers.get('itinera-message-id');
    const got = await waitFor(() => target.received.find((r) => r.headers['itinera-message-id'] === id), 'the order at the endpoint');
    expect(got.headers.traceparent).toBeUndefined();
    // No SDK and no incoming context: no trace, so neither id (with an SDK every line carries both).
    expect(lines.filter((l) => l.messageId === id && (l.trace_id !== undefined || l.span_id !== undefined))).toEqual([]);
  });
});
