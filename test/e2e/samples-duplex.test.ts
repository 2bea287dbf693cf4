import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawDuplex, http, startTestBus, waitFor } from '@itinera/testing';

describe('samples over the WebSocket duplex (embedded transport)', () => {
  let bus: Awaited<ReturnType<typeof startTestBus>>;
  beforeAll(async () => {
    bus = await startTestBus();
  });
  afterAll(async () => bus?.close());

  it('calculator: the seed sequence gives 100, 50, 150, 75 and the equation', async () => {
    const c = await RawDuplex.open(bus.url);
    const ops: [string, unknown][] = [
      ['AddTo', { n: 100 }],
      ['SubtractFrom', { n: 50 }],
      ['MultiplyBy', { n: 3 }],
      ['DivideBy', { n: 2 }],
      ['Clear', {}],
    ];
    for (const [i, [action, body]] of ops.entries()) expect((await c.call(`op${i}`, 'calculator', action, body)).type).toBe('accepted');
    await waitFor(() => c.callbacks().length >= 5, 'five callbacks');
    const cbs = c.callbacks();
    expect(cbs.map((f) => f.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(cbs.slice(0, 4).map((f) => [f.action, f.body.result])).toEqual([
      ['Result', 100],
      ['Result', 50],
      ['Result', 150],
      ['Result', 75],
    ]);
    expect(cbs[4]).toMatchObject({ action: 'Equation', body: { equation: '0 + 100 - 50 * 3 / 2 = 75' } });
    // After Clear the state starts again from 0.
    await c.call('op5', 'calculator', 'AddTo', { n: 1 });
    await waitFor(() => c.callbacks().length >= 6, 'the sixth callback');
    expect(c.callbacks()[5].body).toEqual({ result: 1 });
    await c.close();
  });

  it('calculator: DivideBy 0 is a DIVIDE_BY_ZERO fault frame in the same sequence', async () => {
    const c = await RawDuplex.open(bus.url);
    await c.call('a', 'calculator', 'AddTo', { n: 5 });
    await c.call('b', 'calculator', 'DivideBy', { n: 0 });
    await waitFor(() => c.callbacks().length >= 2, 'two frames');
    const [first, second] = c.callbacks();
    expect(first).toMatchObject({ type: 'callback', seq: 1, body: { result: 5 } });
    expect(second).toMatchObject({ type: 'fault', seq: 2, error: { code: 'DIVIDE_BY_ZERO', step: 'divide-by-zero' } });
    await c.close();
  });

  it('calculator: two sessions never see each other’s state, and the state survives a resume', async () => {
    const a = await RawDuplex.open(bus.url);
    const b = await RawDuplex.open(bus.url);
    await a.call('1', 'calculator', 'AddTo', { n: 10 });
    await b.call('1', 'calculator', 'AddTo', { n: 3 });
    await waitFor(() => a.callbacks().length === 1 && b.callbacks().length === 1, 'one callback each');
    expect(a.callbacks()[0].body.result).toBe(10);
    expect(b.callbacks()[0].body.result).toBe(3);
    a.send({ type: 'ack', seq: 1 });
    await a.close();
    const again = await RawDuplex.open(bus.url, { type: 'hello', session: a.session, token: a.token, lastSeq: 1 });
    expect(again.frames[0]).toMatchObject({ type: 'welcome', resumed: true, session: a.session });
    await again.call('2', 'calculator', 'MultiplyBy', { n: 2 });
    const cb = await again.next((f) => f.type === 'callback');
    expect(cb).toMatchObject({ seq: 2, body: { result: 20 } });
    await again.close();
    await b.close();
  });

  it('chat: register, broadcast to the group (sender too), unregister, and NOT_REGISTERED', async () => {
    const alice = await RawDuplex.open(bus.url);
    const bob = await RawDuplex.open(bus.url);
    await alice.call('r', 'chat', 'RegisterClient', { name: 'alice' });
    await bob.call('r', 'chat', 'RegisterClient', { name: 'bob' });
    const reg = await alice.next((f) => f.type === 'callback' && /registered/.test(f.body.text));
    expect(reg.action).toBe('NotifyClient');
    expect(reg.body.text).toBe(`alice has been registered with clientID: ${reg.body.clientId}`);
    expect(reg.body.clientId).toMatch(/^[0-9a-f-]{36}$/);
    await bob.next((f) => f.type === 'callback' && /registered/.test(f.body.text));

    await alice.call('m', 'chat', 'SendMessage', { text: 'hello' });
    expect((await bob.next((f) => f.body?.text === 'alice: hello')).action).toBe('NotifyClient');
    expect((await alice.next((f) => f.body?.text === 'alice: hello')).action).toBe('NotifyClient');

    await alice.call('u', 'chat', 'UnRegisterClient', { clientId: reg.body.clientId });
    expect((await alice.next((f) => /un registered/.test(f.body?.text ?? ''))).body.text).toBe(`${reg.body.clientId} has been un registered`);
    await bob.call('m2', 'chat', 'SendMessage', { text: 'anyone?' });
    await bob.next((f) => f.body?.text === 'bob: anyone?');
    await new Promise((r) => setTimeout(r, 100));
    expect(alice.frames.some((f) => f.body?.text === 'bob: anyone?')).toBe(false);

    const carol = await RawDuplex.open(bus.url);
    await carol.call('m', 'chat', 'SendMessage', { text: 'hi' });
    expect(await carol.next((f) => f.type === 'fault')).toMatchObject({ seq: 1, error: { code: 'NOT_REGISTERED' } });
    await Promise.all([alice.close(), bob.close(), carol.close()]);
  });

  it('orders over a session gets its OrderPurchased or OrderCanceled callback', async () => {
    const c = await RawDuplex.open(bus.url);
    const ok = await c.call('o1', 'orders', 'CreateOrder', { productId: 1, amount: 2, customerId: 3 });
    expect(ok).toMatchObject({ type: 'accepted', reply: true });
    const purchased = await c.next((f) => f.type === 'callback' && f.id === 'o1');
    expect(purchased).toMatchObject({ action: 'OrderPurchased', body: { comment: 'Purchased successfully' } });
    expect(Number.isInteger(purchased.body.orderId)).toBe(true);
    await c.call('o2', 'orders', 'CreateOrder', { productId: 1, amount: 20, customerId: 3 });
    expect(await c.next((f) => f.type === 'callback' && f.id === 'o2')).toMatchObject({ action: 'OrderCanceled', body: { reason: 'Not in store' } });
    const bad = await c.call('o3', 'orders', 'CreateOrder', { productId: 1 });
    expect(bad).toMatchObject({ type: 'error', id: 'o3', error: { code: 'VALIDATION_FAILED' } });
    await c.close();
  });

  it('50 concurrent calculator sessions each see exactly their own results', async () => {
    const clients = await Promise.all(Array.from({ length: 50 }, () => RawDuplex.open(bus.url)));
    await Promise.all(
      clients.map(async (c, i) => {
        for (let k = 1; k <= 4; k++) c.send({ type: 'send', id: `${i}-${k}`, itinerary: 'calculator', action: 'AddTo', body: { n: i + 1 } });
      }),
    );
    await waitFor(() => clients.every((c) => c.callbacks().length >= 4), 'four callbacks in every session', 20_000);
    clients.forEach((c, i) => {
      expect(c.callbacks().map((f) => f.seq)).toEqual([1, 2, 3, 4]);
      expect(c.callbacks().map((f) => f.body.result)).toEqual([1, 2, 3, 4].map((k) => k * (i + 1)));
    });
    await Promise.all(clients.map((c) => c.close()));
  });

  it('long polling: calculator over HTTP sessions, then resumed over WebSocket with the same sequence', async () => {
    const s = await http(`${bus.url}/duplex/sessions`, { method: 'POST', body: {} });
    expect(s.status).toBe(201);
    const auth = { authorization: `Bearer ${s.body.token}` };
    const sent = await http(`${bus.url}/duplex/sessions/${s.body.session}/messages`, {
      body: { id: 'p1', itinerary: 'calculator', action: 'AddTo', body: { n: 4 } },
      headers: auth,
    });
    expect(sent.body).toMatchObject({ type: 'accepted', id: 'p1' });
    const poll = await http(`${bus.url}/duplex/sessions/${s.body.session}/poll?after=0`, { headers: auth });
    expect(poll.body.items).toEqual([expect.objectContaining({ type: 'callback', seq: 1, action: 'Result', body: { result: 4 } })]);
    const ws = await RawDuplex.open(bus.url, { type: 'hello', session: s.body.session, token: s.body.token, lastSeq: 1 });
    await ws.call('w1', 'calculator', 'AddTo', { n: 1 });
    expect(await ws.next((f) => f.type === 'callback')).toMatchObject({ seq: 2, body: { result: 5 } });
    await ws.close();
  });
});
