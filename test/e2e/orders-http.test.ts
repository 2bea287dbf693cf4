import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, startTestBus, waitFor } from '@itinera/testing';

interface Received {
  headers: IncomingHttpHeaders;
  body: any;
}

/** A real HTTP server standing in for the orders endpoint; it records what it received. */
async function ordersEndpoint(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(data) });
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  return { url: `http://127.0.0.1:${addr.port}/orders`, received, server };
}

describe('orders over HTTP (embedded transport)', () => {
  let bus: Awaited<ReturnType<typeof startTestBus>>;
  let endpoint: Awaited<ReturnType<typeof ordersEndpoint>>;

  beforeAll(async () => {
    endpoint = await ordersEndpoint();
    // The endpoint is on loopback: listed, as an operator would list it (the SSRF guard refuses it otherwise).
    bus = await startTestBus({ env: { ORDERS_ENDPOINT_URL: endpoint.url, ITINERA_SEND_ALLOWLIST: endpoint.url } });
  });
  afterAll(async () => {
    await bus?.close();
    endpoint?.server.close();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    http(`${bus.url}/itineraries/orders/messages`, { body, headers: { 'itinera-action': 'CreateOrder', ...headers } });

  it('replies true at once, then decides, calls back and delivers the endpoint format to the routed endpoint', async () => {
    const res = await post({ productId: 7, amount: 2, customerId: 42 });
    expect(res.status).toBe(200);
    expect(res.body).toBe(true);
    const id = res.headers.get('itinera-message-id')!;
    expect(id).toBeTruthy();
    expect(res.headers.get('itinera-correlation-id')).toBeTruthy();

    const record = await waitFor(async () => {
      const r = await http(`${bus.url}/messages/${id}`);
      return r.body.status === 'completed' ? r.body : undefined;
    }, 'the order to complete');
    expect(record.itinerary).toBe('orders@1.0.0');
    expect(record.trace.map((t: any) => [t.step, t.stage, t.outcome])).toEqual([
      ['validate', 'receive', 'completed'],
      ['to-canonical', 'receive', 'completed'],
      ['reply', 'receive', 'completed'],
      ['order-number', 'send', 'completed'],
      ['decide', 'send', 'completed'],
      ['route', 'send', 'completed'],
      ['deliver', 'send', 'completed'],
    ]);
    const decide = record.trace.find((t: any) => t.step === 'decide');
    expect(decide.resolver).toMatchObject({ type: 'rules', source: 'order-decision@1.0.0', params: { action: 'OrderPurchased' } });
    const route = record.trace.find((t: any) => t.step === 'route');
    expect(route.resolver).toMatchObject({ source: 'order-routing@1.0.0', fired: ['http-endpoint'] });
    expect(record.context.callbacks[0]).toMatchObject({ action: 'OrderPurchased', body: { comment: 'Purchased successfully' } });
    expect(Number.isInteger(record.context.callbacks[0].body.orderId)).toBe(true);

    const got = await waitFor(() => endpoint.received.find((r) => r.body.correlationId === record.correlationId), 'the endpoint to receive the order');
    expect(got.body).toEqual({ orderId: record.context.orderId, sku: 'P-7', qty: 2, customerRef: 'C-42', correlationId: record.correlationId });
    expect(got.headers['idempotency-key']).toBeTruthy();
    expect(got.headers['itinera-message-id']).toBe(id);
  });

  it('cancels an order of more than 10 items (rules decide after publication)', async () => {
    const res = await post({ productId: 7, amount: 11, customerId: 42 });
    expect(res.status).toBe(200);
    const id = res.headers.get('itinera-message-id')!;
    const record = await waitFor(async () => {
      const r = await http(`${bus.url}/messages/${id}`);
      return r.body.status === 'completed' ? r.body : undefined;
    }, 'the order to complete');
    expect(record.context.callbacks[0]).toEqual({ action: 'OrderCanceled', body: { reason: 'Not in store' }, delivered: false });
  });

  it('refuses an invalid order with VALIDATION_FAILED and the pointers, and publishes nothing', async () => {
    const before = endpoint.received.length;
    const res = await post({ productId: 7, amount: 'two' });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    const pointers = res.body.errors.map((e: any) => e.pointer).sort();
    expect(pointers).toEqual(['/body', '/body/amount'].sort());
    expect(res.headers.get('itinera-message-id')).toBeNull();
    await new Promise((r) => setTimeout(r, 100));
    expect(endpoint.received.length).toBe(before);
  });

  it('selects the itinerary by rules on POST /messages', async () => {
    const res = await http(`${bus.url}/messages`, { body: { productId: 1, amount: 1, customerId: 1 }, headers: { 'itinera-action': 'CreateOrder' } });
    expect(res.status).toBe(200);
    const rec = await http(`${bus.url}/messages/${res.headers.get('itinera-message-id')}`);
    expect(rec.body.itinerary).toBe('orders@1.0.0');
  });
});
