import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawDuplex, http, startTestBus, waitFor } from '@itinera/testing';

type TestBus = Awaited<ReturnType<typeof startTestBus>>;

const ADMIN = 'admin-token-for-console-tests';
const ALICE = 'alice-token-0123456789abcdef';
const BOB = 'bob-token-0123456789abcdef01';

/** `n` DIVIDE_BY_ZERO faults from one duplex session; their message ids. */
async function divideByZero(bus: TestBus, n: number): Promise<string[]> {
  const c = await RawDuplex.open(bus.url);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await c.call(`d${i}`, 'calculator', 'DivideBy', { n: 0 })).messageId as string);
  await waitFor(() => c.callbacks().filter((f: any) => f.type === 'fault').length >= n, `${n} fault frames`);
  c.close();
  return ids;
}

/** A calculator AddTo that completes (in a duplex session, as the calculator keeps per-session state). */
async function addTo(bus: TestBus): Promise<{ messageId: string; correlationId: string }> {
  const c = await RawDuplex.open(bus.url);
  const accepted = await c.call('a', 'calculator', 'AddTo', { n: 1 });
  await waitFor(() => c.callbacks().length >= 1, 'the Result');
  c.close();
  return { messageId: accepted.messageId as string, correlationId: accepted.correlationId as string };
}

describe('operator console API (embedded bus, named operators)', () => {
  let bus: TestBus;
  const as = (token: string) => ({ token });
  beforeAll(async () => {
    bus = await startTestBus({ env: { ITINERA_ADMIN_TOKEN: ADMIN, ITINERA_OPERATOR_TOKENS: `alice=${ALICE},bob=${BOB}` } });
  });
  afterAll(async () => bus?.close());

  it('guards every new endpoint: no token is 401 problem+json, a named operator gets in', async () => {
    for (const path of ['/messages', '/faults/groups', '/audit', '/live', '/itineraries/calculator/schemas']) {
      const res = await http(`${bus.url}${path}`);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('UNAUTHORIZED');
      expect((await http(`${bus.url}${path}`, as(ALICE))).status, path).toBe(200);
    }
    expect((await http(`${bus.url}/audit`, as('not-a-token-of-anyone-here'))).status).toBe(401);
    const bulk = await http(`${bus.url}/faults/bulk`, { body: { action: 'delete', ids: ['x'] } });
    expect(bulk.status).toBe(401);
  });

  it('searches messages newest first, by itinerary, status and correlation, with cursors', async () => {
    const faulted = await divideByZero(bus, 2);
    const ok = { body: await addTo(bus) };
    await waitFor(async () => (await http(`${bus.url}/messages/${ok.body.messageId}`, as(ALICE))).body.status === 'completed', 'completed');
    const all = await http(`${bus.url}/messages?itinerary=calculator&limit=2`, as(ALICE));
    expect(all.status).toBe(200);
    expect(all.body.items.map((m: any) => m.id)).toEqual([ok.body.messageId, faulted[1]]);
    expect(all.body.items[0]).toEqual({
      id: ok.body.messageId,
      correlationId: ok.body.correlationId,
      itinerary: 'calculator',
      version: '1.0.0',
      status: 'completed',
      acceptedAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const next = await http(`${bus.url}/messages?itinerary=calculator&limit=2&cursor=${encodeURIComponent(all.body.nextCursor)}`, as(ALICE));
    expect(next.body.items.map((m: any) => m.id)).toContain(faulted[0]);
    const byStatus = await http(`${bus.url}/messages?status=faulted&itinerary=calculator@1.0.0`, as(ALICE));
    expect(byStatus.body.items.map((m: any) => m.id)).toEqual([...faulted].reverse());
    const byCorrelation = await http(`${bus.url}/messages?correlationId=${ok.body.correlationId}`, as(ALICE));
    expect(byCorrelation.body).toEqual({ items: [all.body.items[0]] });
    const bad = await http(`${bus.url}/messages?cursor=nope`, as(ALICE));
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'INVALID_CURSOR', errors: [{ pointer: '/cursor' }] });
    expect((await http(`${bus.url}/messages?since=yesterday`, as(ALICE))).body).toMatchObject({ code: 'BAD_REQUEST', errors: [{ pointer: '/since' }] });
    expect((await http(`${bus.url}/messages?status=lost`, as(ALICE))).body.code).toBe('BAD_REQUEST');
  });

  it('shows trace detail: a skipped step says why', async () => {
    const [id] = await divideByZero(bus, 1);
    const res = await http(`${bus.url}/messages/${id}`, as(ALICE));
    const ok = { body: await addTo(bus) };
    await waitFor(async () => (await http(`${bus.url}/messages/${ok.body.messageId}`, as(ALICE))).body.status === 'completed', 'completed');
    const done = await http(`${bus.url}/messages/${ok.body.messageId}`, as(ALICE));
    const skipped = done.body.trace.find((e: any) => e.step === 'divide-by-zero');
    expect(skipped).toMatchObject({ outcome: 'skipped', reason: `"when" is false: action = 'DivideBy' and body.n = 0` });
    expect(res.body.trace.find((e: any) => e.step === 'divide-by-zero')).toMatchObject({ outcome: 'faulted', attempt: 1, durationMs: expect.any(Number) });
  });

  it('shows trace detail: the rules with the facts they read, a transform\'s body before and after', async () => {
    const sent = await http(`${bus.url}/itineraries/orders/messages`, { body: { productId: 7, amount: 2, customerId: 42 }, headers: { 'itinera-action': 'CreateOrder' } });
    expect(sent.status).toBe(200);
    const id = sent.headers.get('itinera-message-id')!;
    const record = await waitFor(async () => {
      const r = await http(`${bus.url}/messages/${id}`, as(ALICE));
      return r.body.trace?.some((e: any) => e.step === 'route') ? r.body : undefined;
    }, 'the route step in the trace');
    const canonical = record.trace.find((e: any) => e.step === 'to-canonical');
    expect(canonical.bodyBefore).toEqual({ truncated: false, bytes: expect.any(Number), value: { productId: 7, amount: 2, customerId: 42 } });
    expect(canonical.bodyAfter).toMatchObject({ truncated: false, value: expect.any(Object) });
    expect(canonical.bodyAfter.value).not.toEqual(canonical.bodyBefore.value);
    const route = record.trace.find((e: any) => e.step === 'route');
    expect(route.rules.length).toBeGreaterThan(0);
    for (const r of route.rules) expect(r).toEqual({ rule: expect.any(String), fired: expect.any(Boolean), facts: expect.any(Object) });
    expect(route.rules.filter((r: any) => r.fired).map((r: any) => r.rule)).toEqual(route.resolver.fired ?? []);
    // The policy's rule reads env.ORDERS_ENDPOINT_URL, unset here: shown as null.
    expect(route.rules.find((r: any) => r.rule === 'http-endpoint')).toEqual({ rule: 'http-endpoint', fired: false, facts: { 'env.ORDERS_ENDPOINT_URL': null } });
  });

  it('filters and pages faults, keeps the old list shape without filters, groups them', async () => {
    await divideByZero(bus, 3);
    const plain = await http(`${bus.url}/faults?limit=2`, as(BOB));
    expect(plain.body.faults).toEqual(plain.body.items);
    expect(plain.body.items).toHaveLength(2);
    expect(plain.body.nextCursor).toEqual(expect.any(String));
    const filtered = await http(`${bus.url}/faults?itinerary=calculator&step=divide-by-zero&code=DIVIDE_BY_ZERO&limit=2`, as(BOB));
    expect(filtered.body.faults).toBeUndefined();
    expect(filtered.body.items).toHaveLength(2);
    const rest = await http(`${bus.url}/faults?itinerary=calculator&step=divide-by-zero&limit=1000&cursor=${encodeURIComponent(filtered.body.nextCursor)}`, as(BOB));
    const ids = [...filtered.body.items, ...rest.body.items].map((f: any) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await http(`${bus.url}/faults?code=NOPE`, as(BOB))).body).toEqual({ items: [] });
    const groups = await http(`${bus.url}/faults/groups?by=step`, as(BOB));
    expect(groups.body.groups[0]).toEqual({ key: 'divide-by-zero', count: ids.length });
    expect((await http(`${bus.url}/faults/groups?by=colour`, as(BOB))).body).toMatchObject({ code: 'BAD_REQUEST', errors: [{ pointer: '/by' }] });
  });

  it('resubmits from a chosen step, deletes and bulk-acts, and the audit trail names each operator', async () => {
    await divideByZero(bus, 4);
    const list = (await http(`${bus.url}/faults?step=divide-by-zero&limit=1000`, as(ALICE))).body.items;
    const [one, two, three, ...others] = list;
    const r = await http(`${bus.url}/faults/${one.id}/resubmit`, { ...as(ALICE), body: { body: { n: 5 }, fromStep: 'apply' } });
    expect(r.status).toBe(202);
    expect((await http(`${bus.url}/faults/${two.id}`, { ...as(BOB), method: 'DELETE' })).status).toBe(204);
    expect((await http(`${bus.url}/faults/${three.id}/resubmit`, { ...as(ADMIN), body: { fromStep: 'no-such-step' } })).body).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ pointer: '/fromStep' }],
    });
    const bulk = await http(`${bus.url}/faults/bulk`, { ...as(ADMIN), body: { action: 'delete', ids: [three.id, others[0].id, 'no-such-fault'] } });
    expect(bulk.status).toBe(200);
    expect(bulk.body.results).toEqual([
      { id: three.id, ok: true },
      { id: others[0].id, ok: true },
      { id: 'no-such-fault', ok: false, code: 'FAULT_NOT_FOUND', message: expect.any(String) },
    ]);
    const tooMany = await http(`${bus.url}/faults/bulk`, { ...as(ADMIN), body: { action: 'delete', ids: Array.from({ length: 501 }, (_, i) => `f${i}`) } });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ pointer: '/ids' }] });
    expect((await http(`${bus.url}/faults/bulk`, { ...as(ADMIN), body: { action: 'explode', ids: ['x'] } })).body.errors[0].pointer).toBe('/action');

    const audit = await http(`${bus.url}/audit?limit=3`, as(BOB));
    expect(audit.body.items.map((e: any) => [e.operator, e.action])).toEqual([
      ['admin', 'fault.bulk-delete'],
      ['bob', 'fault.delete'],
      ['alice', 'fault.edit-resubmit'],
    ]);
    expect(audit.body.items[0]).toMatchObject({ target: '3 faults', detail: { ids: [three.id, others[0].id], failed: [{ id: 'no-such-fault', code: 'FAULT_NOT_FOUND' }] } });
    expect(audit.body.items[2]).toMatchObject({ target: one.id, detail: { fromStep: 'apply', edited: ['body'], messageId: r.body.messageId } });
    expect(audit.body.nextCursor === undefined || typeof audit.body.nextCursor === 'string').toBe(true);
  });

  it('serves the live view and the action schemas', async () => {
    const live = await http(`${bus.url}/live`, as(ALICE));
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ at: expect.any(String), sessions: { open: expect.any(Number) }, outboxes: expect.any(Array), queues: expect.any(Array) });
    const calc = live.body.itineraries.find((r: any) => r.itinerary === 'calculator' && r.step === undefined);
    expect(calc).toMatchObject({ throughputPerSec: expect.any(Number), p50Ms: expect.any(Number), p95Ms: expect.any(Number) });
    expect(calc.faults).toBeGreaterThan(0);
    expect(live.body.itineraries.find((r: any) => r.step === 'divide-by-zero').faults).toBeGreaterThan(0);
    expect(live.body.queues[0]).toEqual({ name: expect.any(String), waiting: expect.any(Number), active: 0, delayed: 0 });
    const schemas = await http(`${bus.url}/itineraries/calculator/schemas`, as(ALICE));
    expect(schemas.body).toMatchObject({ name: 'calculator', version: '1.0.0', actions: { AddTo: { schemaName: 'operand', schema: { type: 'object' } }, Clear: { schema: null } } });
    expect((await http(`${bus.url}/itineraries/nope/schemas`, as(ALICE))).body.code).toBe('ITINERARY_NOT_FOUND');
  });
});
