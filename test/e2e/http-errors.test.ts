import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, startTestBus } from '@itinera/testing';

describe('HTTP on-ramp errors (problem+json, stable codes)', () => {
  let bus: Awaited<ReturnType<typeof startTestBus>>;
  beforeAll(async () => {
    bus = await startTestBus({ maxBodyBytes: 2048 });
  });
  afterAll(async () => bus?.close());

  const expectProblem = (res: { status: number; headers: Headers; body: any }, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, code });
    expect(typeof res.body.title).toBe('string');
    expect(typeof res.body.detail).toBe('string');
    expect(typeof res.body.type).toBe('string');
  };

  it('INVALID_JSON 400', async () => {
    const res = await http(`${bus.url}/itineraries/orders/messages`, {
      raw: '{"productId": 1,',
      headers: { 'content-type': 'application/json', 'itinera-action': 'CreateOrder' },
    });
    expectProblem(res, 400, 'INVALID_JSON');
  });

  it('UNSUPPORTED_MEDIA_TYPE 415', async () => {
    const res = await http(`${bus.url}/itineraries/orders/messages`, { raw: 'productId=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('PAYLOAD_TOO_LARGE 413', async () => {
    const res = await http(`${bus.url}/itineraries/orders/messages`, { body: { pad: 'x'.repeat(4096) }, headers: { 'itinera-action': 'CreateOrder' } });
    expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('ITINERARY_NOT_FOUND 404 for an unknown name and an unknown version', async () => {
    expectProblem(await http(`${bus.url}/itineraries/nope/messages`, { body: {} }), 404, 'ITINERARY_NOT_FOUND');
    const res = await http(`${bus.url}/itineraries/orders/messages?version=9.9.9`, { body: {}, headers: { 'itinera-action': 'CreateOrder' } });
    expectProblem(res, 404, 'ITINERARY_NOT_FOUND');
    expect(res.body.detail).toMatch(/1\.0\.0/);
  });

  it('NO_ITINERARY_MATCHED 422 when the selector finds no rule', async () => {
    expectProblem(await http(`${bus.url}/messages`, { body: {}, headers: { 'itinera-action': 'Unheard' } }), 422, 'NO_ITINERARY_MATCHED');
  });

  it('FORBIDDEN 403 for an itinerary closed to HTTP (fed only by its queue on-ramp)', async () => {
    const res = await http(`${bus.url}/itineraries/order-fulfilment/messages`, { body: { orderId: 1 } });
    expectProblem(res, 403, 'FORBIDDEN');
    expect(res.body.detail).toMatch(/onRamps\.http is false/);
  });

  it('UNKNOWN_ACTION 422 for an action the itinerary does not declare', async () => {
    expectProblem(await http(`${bus.url}/itineraries/orders/messages`, { body: {}, headers: { 'itinera-action': 'DeleteOrder' } }), 422, 'UNKNOWN_ACTION');
  });

  it('VALIDATION_FAILED 422 with pointers (action schema)', async () => {
    const res = await http(`${bus.url}/itineraries/calculator/messages`, { body: { n: 'five' }, headers: { 'itinera-action': 'AddTo' } });
    expectProblem(res, 422, 'VALIDATION_FAILED');
    expect(res.body.errors[0].pointer).toBe('/body/n');
  });

  it('UNAUTHORIZED 401 and SESSION_NOT_FOUND 404 for Itinera-Session', async () => {
    const created = await http(`${bus.url}/duplex/sessions`, { method: 'POST', body: {} });
    expect(created.status).toBe(201);
    const wrong = await http(`${bus.url}/itineraries/calculator/messages`, {
      body: { n: 1 },
      headers: { 'itinera-action': 'AddTo', 'itinera-session': created.body.session, authorization: 'Bearer not-the-token' },
    });
    expectProblem(wrong, 401, 'UNAUTHORIZED');
    const unknown = await http(`${bus.url}/itineraries/calculator/messages`, {
      body: { n: 1 },
      headers: { 'itinera-action': 'AddTo', 'itinera-session': 'no-such-session', authorization: 'Bearer x' },
    });
    expectProblem(unknown, 404, 'SESSION_NOT_FOUND');
  });

  it('Idempotency-Key: same key and body runs once; another body is IDEMPOTENCY_CONFLICT 409', async () => {
    const headers = { 'itinera-action': 'CreateOrder', 'idempotency-key': 'order-abc-1' };
    const body = { productId: 1, amount: 1, customerId: 1 };
    const first = await http(`${bus.url}/itineraries/orders/messages`, { body, headers });
    const again = await http(`${bus.url}/itineraries/orders/messages`, { body, headers });
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.headers.get('itinera-message-id')).toBe(first.headers.get('itinera-message-id'));
    const other = await http(`${bus.url}/itineraries/orders/messages`, { body: { ...body, amount: 2 }, headers });
    expectProblem(other, 409, 'IDEMPOTENCY_CONFLICT');
  });

  it('Idempotency-Key: concurrent requests with one key run the itinerary once', async () => {
    const headers = { 'itinera-action': 'CreateOrder', 'idempotency-key': 'order-burst-1' };
    const body = { productId: 9, amount: 1, customerId: 1 };
    const answers = await Promise.all(Array.from({ length: 8 }, () => http(`${bus.url}/itineraries/orders/messages`, { body, headers })));
    const ok = answers.filter((a) => a.status === 200);
    const busy = answers.filter((a) => a.status === 409);
    expect(ok.length + busy.length).toBe(8);
    // Every 2xx names the one message that ran; the others were told to retry.
    expect(new Set(ok.map((a) => a.headers.get('itinera-message-id'))).size).toBe(1);
    for (const b of busy) expect(b.body.code).toBe('IDEMPOTENCY_CONFLICT');
    const again = await http(`${bus.url}/itineraries/orders/messages`, { body, headers });
    expect(again.headers.get('itinera-message-id')).toBe(ok[0].headers.get('itinera-message-id'));
  });

  it('Idempotency-Key: a refused request frees its key for a corrected retry', async () => {
    const headers = { 'itinera-action': 'CreateOrder', 'idempotency-key': 'order-fix-1' };
    const bad = await http(`${bus.url}/itineraries/orders/messages`, { body: { productId: 1 }, headers });
    expect(bad.status).toBe(422);
    const good = await http(`${bus.url}/itineraries/orders/messages`, { body: { productId: 1, amount: 1, customerId: 1 }, headers });
    expect(good.status).toBe(200);
  });

  it('MESSAGE_NOT_FOUND 404 and NOT_FOUND 404', async () => {
    expectProblem(await http(`${bus.url}/messages/00000000-0000-0000-0000-000000000000`), 404, 'MESSAGE_NOT_FOUND');
    expectProblem(await http(`${bus.url}/no/such/route`), 404, 'NOT_FOUND');
  });

  it('202 Accepted with Location for a message that runs after publication', async () => {
    const res = await http(`${bus.url}/itineraries/calculator/messages`, {
      body: { n: 2 },
      headers: { 'itinera-action': 'AddTo', 'itinera-correlation-id': 'my-corr-1' },
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ correlationId: 'my-corr-1', itinerary: 'calculator@1.0.0', status: 'accepted' });
    expect(res.headers.get('location')).toBe(`/messages/${res.body.messageId}`);
    expect(res.headers.get('itinera-correlation-id')).toBe('my-corr-1');
  });

  it('lists itineraries and serves health and metrics', async () => {
    const list = await http(`${bus.url}/itineraries`);
    expect(list.body.itineraries.map((i: any) => i.name).sort()).toEqual(['calculator', 'chat', 'order-fulfilment', 'orders']);
    expect((await http(`${bus.url}/itineraries/orders`)).body.version).toBe('1.0.0');
    expect((await http(`${bus.url}/health/live`)).status).toBe(200);
    expect((await http(`${bus.url}/health/ready`)).status).toBe(200);
    const metrics = await fetch(`${bus.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/itinera_messages_accepted_total/);
  });
});

describe('HTTP on-ramp limits', () => {
  it('RATE_LIMITED 429 past the per-client rate', async () => {
    const bus = await startTestBus({ rateLimit: 2 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await http(`${bus.url}/itineraries/calculator/messages`, { body: { n: 1 }, headers: { 'itinera-action': 'AddTo' } });
        statuses.push(r.status);
        if (r.status === 429) expect(r.body.code).toBe('RATE_LIMITED');
      }
      expect(statuses).toContain(429);
    } finally {
      await bus.close();
    }
  });

  it('503 when the message box cannot take the message (never 2xx)', async () => {
    const bus = await startTestBus();
    try {
      // A closed embedded box refuses publication as a shutting-down node does.
      await bus.bus.box.close();
      const r = await http(`${bus.url}/itineraries/calculator/messages`, { body: { n: 1 }, headers: { 'itinera-action': 'AddTo' } });
      expect(r.status).toBe(503);
      expect(['TRANSPORT_UNAVAILABLE', 'SHUTTING_DOWN']).toContain(r.body.code);
      expect(r.headers.get('itinera-message-id')).toBeNull();
    } finally {
      await bus.close();
    }
  });
});
