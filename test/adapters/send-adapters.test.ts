/**
 * The off-ramp end to end: route and send steps over the real adapter provider
 * and send adapters, against a local HTTP endpoint and a recording message box.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MessageBox } from '@itinera/core';
import { ALL_ADAPTERS, AdapterProvider, AdapterSender } from '@itinera/adapters';
import { createFakeRuntime, runFakeStep, routeStep, sendStep, type FakeRuntime } from '@itinera/steps';

let server: Server;
let base: string;
let received: { method: string; url: string; headers: IncomingHttpHeaders; body: unknown }[] = [];
let failFirst = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body: raw ? JSON.parse(raw) : undefined });
      if (failFirst-- > 0) return void res.writeHead(503).end('warming up');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ receipt: `r-${received.length}` }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  received = [];
  failFirst = 0;
});

function runtimeWith(opts: { allowList?: string[]; env?: Record<string, string> } = {}): FakeRuntime & { jobs: unknown[] } {
  const jobs: unknown[] = [];
  const box = { publish: async (queue: string, data: unknown, o: unknown) => void jobs.push({ queue, data, o }) } as unknown as MessageBox;
  // The endpoint is on loopback: listed, as an operator would list it (the SSRF guard refuses it otherwise).
  const provider = new AdapterProvider(ALL_ADAPTERS, { allowList: opts.allowList ?? [`${base}/`, 'orders-out'], env: opts.env });
  return { ...createFakeRuntime({ env: opts.env }), adapters: new AdapterSender(provider, { box }), jobs };
}

const canonical = { order: { product: 7, quantity: 2, customer: 9 } };

describe('route + send over the real send adapters', () => {
  it('routes to ${env:ORDERS_ENDPOINT_URL} with an ESB config string and sends the endpoint format', async () => {
    const runtime = runtimeWith({ env: { ORDERS_ENDPOINT_URL: `${base}/orders` } });
    const routed = await runFakeStep(routeStep, {
      runtime,
      body: canonical,
      params: { adapter: 'http', address: '${env:ORDERS_ENDPOINT_URL}', config: 'method=PUT&timeoutMs=2000&retries=1&retryBackoffMs=1' },
    });
    expect(routed.result).toEqual({ outcome: 'completed' });
    // Stored as decided; the provider checked it (and expands it again at send time).
    expect(routed.ctx.envelope.context.endpoint).toEqual({
      adapter: 'http',
      address: '${env:ORDERS_ENDPOINT_URL}',
      config: 'method=PUT&timeoutMs=2000&retries=1&retryBackoffMs=1',
    });

    failFirst = 1; // the adapter retries the 503 itself (retries=1)
    const sent = await runFakeStep(sendStep, {
      runtime,
      sharedEnvelope: routed.ctx.envelope,
      stepIndex: 2,
      step: { id: 'deliver' },
      params: { expression: '{ "sku": body.order.product, "qty": body.order.quantity }', resultTarget: 'context.receipt' },
    });
    expect(sent.result).toEqual({ outcome: 'completed' });
    expect(received).toHaveLength(2);
    expect(received[1]).toMatchObject({ url: '/orders', body: { sku: 7, qty: 2 } });
    expect(received.map((r) => r.method)).toEqual(['PUT', 'PUT']);
    expect(received[0].headers['idempotency-key']).toBe(sent.ctx.stepId);
    expect(received[1].headers['idempotency-key']).toBe(sent.ctx.stepId);
    expect(received[1].headers['itinera-correlation-id']).toBe('corr-1');
    expect(sent.ctx.envelope.context.receipt).toEqual({ receipt: 'r-2' });
    expect(sent.ctx.envelope.body).toEqual(canonical);
  });

  it('publishes a queue endpoint as a queue on-ramp job', async () => {
    const runtime = runtimeWith();
    const { result } = await runFakeStep(sendStep, {
      runtime,
      body: canonical,
      params: { adapter: 'queue', address: 'orders-out', config: 'itinerary=fulfil&action=Fulfil' },
    });
    expect(result).toEqual({ outcome: 'completed' });
    expect(runtime.jobs).toEqual([
      { queue: 'orders-out', data: expect.objectContaining({ itinerary: 'fulfil', action: 'Fulfil', body: canonical }), o: { jobId: expect.any(String) } },
    ]);
  });

  it('faults the route step on a bad config key, with a pointer', async () => {
    const runtime = runtimeWith();
    const { result } = await runFakeStep(routeStep, { runtime, stepIndex: 1, params: { adapter: 'http', address: `${base}/x`, config: 'methd=POST' } });
    expect(result).toMatchObject({ outcome: 'faulted', error: { code: 'ENDPOINT_INVALID', message: expect.stringMatching(/unknown option "methd"/) } });
    if (result.outcome === 'faulted') expect(result.error.details?.[0].pointer).toBe('/steps/1/options/config/methd');
  });

  it('refuses an address outside ITINERA_SEND_ALLOWLIST at route and at send', async () => {
    const runtime = runtimeWith({ allowList: ['http://partner.test'] });
    const routed = await runFakeStep(routeStep, { runtime, params: { adapter: 'http', address: `${base}/x` } });
    expect(routed.result).toMatchObject({
      outcome: 'faulted',
      error: { code: 'ADDRESS_NOT_ALLOWED', message: expect.stringMatching(/ITINERA_SEND_ALLOWLIST/) },
    });
    const sent = await runFakeStep(sendStep, { runtime, params: { adapter: 'http', address: `${base}/x` } });
    expect(sent.result).toMatchObject({ outcome: 'faulted', error: { code: 'ADDRESS_NOT_ALLOWED' } });
    expect(received).toHaveLength(0);
  });

  it('throws a transient failure from send so the runner can retry the step', async () => {
    const runtime = runtimeWith();
    failFirst = 5;
    await expect(runFakeStep(sendStep, { runtime, params: { adapter: 'http', address: `${base}/x` } })).rejects.toMatchObject({
      code: 'SEND_FAILED',
      transient: true,
    });
  });
});
