import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawDuplex, http, startTestBus, waitFor } from '@itinera/testing';

type TestBus = Awaited<ReturnType<typeof startTestBus>>;

/** A duplex session whose calculator holds 100, then a DivideBy 0: returns the session and the faulted message. */
async function divideByZero(bus: TestBus) {
  const c = await RawDuplex.open(bus.url);
  await c.call('a', 'calculator', 'AddTo', { n: 100 });
  const accepted = await c.call('b', 'calculator', 'DivideBy', { n: 0 });
  expect(accepted.type).toBe('accepted');
  await waitFor(() => c.callbacks().length >= 2, 'the Result and the fault frame');
  expect(c.callbacks()[1]).toMatchObject({ type: 'fault', seq: 2, error: { code: 'DIVIDE_BY_ZERO', step: 'divide-by-zero' } });
  return { c, messageId: accepted.messageId as string, correlationId: accepted.correlationId as string };
}

/** The headers that read a message record of the session (auth off: a session's records are its own). */
const asSession = (c: RawDuplex) => ({ headers: { 'itinera-session': c.session!, 'itinera-session-token': c.token! } });

async function faultOf(url: string, messageId: string, headers: Record<string, string> = {}) {
  return waitFor(async () => (await http(`${url}/faults`, { headers })).body.faults.find((f: any) => f.messageId === messageId), `the fault of ${messageId}`);
}

describe('faults over HTTP (no admin token: open)', () => {
  let bus: TestBus;
  beforeAll(async () => {
    bus = await startTestBus();
  });
  afterAll(async () => bus?.close());

  it('lists a DIVIDE_BY_ZERO fault, shows it, and a repaired resubmit calls the same session back', async () => {
    const { c, messageId, correlationId } = await divideByZero(bus);

    const listed = await faultOf(bus.url, messageId);
    expect(listed).toMatchObject({
      messageId,
      correlationId,
      itinerary: 'calculator@1.0.0',
      step: 'divide-by-zero',
      attempts: 1,
      error: { code: 'DIVIDE_BY_ZERO' },
    });
    expect(Object.keys(listed).sort()).toEqual(['at', 'attempts', 'correlationId', 'error', 'id', 'itinerary', 'messageId', 'step']);

    const shown = await http(`${bus.url}/faults/${listed.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.envelope).toMatchObject({
      id: messageId,
      body: { n: 0 },
      origin: { session: c.session, clientMessageId: 'b' },
      itinerary: { name: 'calculator', version: '1.0.0' },
    });
    expect((await http(`${bus.url}/messages/${messageId}`, asSession(c))).body.status).toBe('faulted');

    const r = await http(`${bus.url}/faults/${listed.id}/resubmit`, { body: { body: { n: 4 } } });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ messageId, correlationId, itinerary: 'calculator@1.0.0', status: 'accepted' });
    expect(r.headers.get('location')).toBe(`/messages/${messageId}`);

    // The session that sent the message gets its Result, next in its sequence.
    const result = await c.next((f) => f.type === 'callback' && f.seq === 3);
    expect(result).toMatchObject({ action: 'Result', correlationId, id: 'b', body: { result: 25 } });

    const record = await waitFor(async () => {
      const m = (await http(`${bus.url}/messages/${messageId}`, asSession(c))).body;
      return m.status === 'completed' ? m : undefined;
    }, 'the message to complete');
    expect(record.error).toBeUndefined();
    const steps = record.trace.map((t: any) => `${t.step}:${t.outcome}`);
    expect(steps).toEqual([
      'divide-by-zero:faulted',
      'resubmit:completed',
      'divide-by-zero:skipped',
      'equation:skipped',
      'apply:completed',
      'result:completed',
    ]);
    const entry = record.trace.find((t: any) => t.step === 'resubmit');
    expect(entry).toMatchObject({ service: 'faults', outcome: 'completed' });
    expect(entry.note).toContain('DIVIDE_BY_ZERO');
    expect(entry.note).toContain('body replaced');

    // The fault is gone once resubmitted.
    expect((await http(`${bus.url}/faults/${listed.id}`)).status).toBe(404);
    await c.close();
  });

  it('lists newest first and honours ?limit', async () => {
    const first = await divideByZero(bus);
    const second = await divideByZero(bus);
    await faultOf(bus.url, second.messageId);
    const all = (await http(`${bus.url}/faults`)).body.faults.map((f: any) => f.messageId);
    expect(all.indexOf(second.messageId)).toBeLessThan(all.indexOf(first.messageId));
    const one = await http(`${bus.url}/faults?limit=1`);
    expect(one.body.faults).toHaveLength(1);
    const bad = await http(`${bus.url}/faults?limit=zero`);
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('BAD_REQUEST');
    await Promise.all([first.c.close(), second.c.close()]);
  });

  it('DELETE removes a fault (204), then it is 404', async () => {
    const { c, messageId } = await divideByZero(bus);
    const fault = await faultOf(bus.url, messageId);
    const del = await http(`${bus.url}/faults/${fault.id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect((await http(`${bus.url}/faults/${fault.id}`)).status).toBe(404);
    await c.close();
  });

  it('answers 404 FAULT_NOT_FOUND problem+json for an unknown id on every route', async () => {
    for (const [method, path] of [
      ['GET', '/faults/nope'],
      ['POST', '/faults/nope/resubmit'],
      ['DELETE', '/faults/nope'],
    ]) {
      const r = await http(`${bus.url}${path}`, { method });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(r.body).toMatchObject({ code: 'FAULT_NOT_FOUND', status: 404, type: '/problems/fault-not-found' });
    }
  });

  it('answers 409 FAULT_NOT_RESUBMITTABLE for a job the queue on-ramp refused, and keeps the fault', async () => {
    await bus.bus.box.publish('orders.fulfilment', { itinerary: 'no-such-itinerary', body: { x: 1 } });
    const fault = await waitFor(
      async () => (await http(`${bus.url}/faults`)).body.faults.find((f: any) => f.itinerary === 'order-fulfilment' && f.error.code === 'ITINERARY_NOT_FOUND'),
      'the refused queue job as a fault',
    );
    const r = await http(`${bus.url}/faults/${fault.id}/resubmit`, { method: 'POST' });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('FAULT_NOT_RESUBMITTABLE');
    expect(r.body.detail).toMatch(/queue on-ramp "orders\.fulfilment" refused the job/);
    expect((await http(`${bus.url}/faults/${fault.id}`)).status).toBe(200);
  });

  it('refuses a bad repair with 422 VALIDATION_FAILED and changes nothing', async () => {
    const { c, messageId } = await divideByZero(bus);
    const fault = await faultOf(bus.url, messageId);
    const fromReceive = await http(`${bus.url}/faults/${fault.id}/resubmit`, { body: { fromStep: 'nope' } });
    expect(fromReceive.status).toBe(422);
    expect(fromReceive.body.code).toBe('VALIDATION_FAILED');
    expect(fromReceive.body.detail).toMatch(/no step "nope" in calculator@1\.0\.0; restart from one of: divide-by-zero, equation, apply, result/);
    const typo = await http(`${bus.url}/faults/${fault.id}/resubmit`, { body: { bdy: { n: 1 } } });
    expect(typo.status).toBe(422);
    expect(typo.body.errors).toEqual([{ pointer: '/bdy', message: expect.stringContaining('unknown field "bdy"') }]);
    expect((await http(`${bus.url}/faults/${fault.id}`)).status).toBe(200);
    expect((await http(`${bus.url}/messages/${messageId}`, asSession(c))).body.status).toBe('faulted');
    await c.close();
  });
});

describe('faults over HTTP with ITINERA_ADMIN_TOKEN', () => {
  let bus: TestBus;
  beforeAll(async () => {
    bus = await startTestBus({ env: { ITINERA_ADMIN_TOKEN: 'op-secret' } });
  });
  afterAll(async () => bus?.close());

  it('needs Authorization: Bearer <token> on every fault route (401 UNAUTHORIZED otherwise)', async () => {
    const { c, messageId } = await divideByZero(bus);
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'op-secret' }] as Record<string, string>[]) {
      const r = await http(`${bus.url}/faults`, { headers });
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('UNAUTHORIZED');
      expect(r.headers.get('www-authenticate')).toBe('Bearer');
    }
    for (const [method, path] of [
      ['GET', '/faults/x'],
      ['POST', '/faults/x/resubmit'],
      ['DELETE', '/faults/x'],
    ]) {
      expect((await http(`${bus.url}${path}`, { method })).status, `${method} ${path}`).toBe(401);
    }
    const auth = { authorization: 'Bearer op-secret' };
    const fault = await faultOf(bus.url, messageId, auth);
    const r = await http(`${bus.url}/faults/${fault.id}/resubmit`, { headers: auth, body: { body: { n: 5 } } });
    expect(r.status).toBe(202);
    expect(await c.next((f) => f.type === 'callback' && f.seq === 3)).toMatchObject({ action: 'Result', body: { result: 20 } });
    // The record needs no admin token: its session reads it (anyone else is told it does not exist).
    expect((await http(`${bus.url}/messages/${messageId}`, asSession(c))).status).toBe(200);
    expect((await http(`${bus.url}/messages/${messageId}`)).status).toBe(404);
    await c.close();
  });
});
