/**
 * The three sample itineraries (SAMPLES.md) written as JSON step lists over these
 * services, run by a minimal stand-in for the runner: `when`, options merged with
 * what a resolver decides, state saved after each completed step.
 */
import { describe, expect, it } from 'vitest';
import { applySpec, type Envelope, type Facts, type StepDefinition, type StepResult } from '@itinera/core';
import { ALL_STEPS } from './all-steps';
import { createFakeEnvelope, createFakeStepContext } from './testing/fake-context';
import { createFakeRuntime, type FakeRuntime } from './testing/fake-runtime';
import { FakeSessionStore } from './testing/fake-session-store';

const services = new Map(ALL_STEPS.map((s) => [s.name, s]));
type Decide = (step: StepDefinition, facts: Facts) => Record<string, unknown>;

async function run(runtime: FakeRuntime, steps: StepDefinition[], envelope: Envelope, decide: Decide = () => ({})): Promise<StepResult> {
  for (const [index, step] of steps.entries()) {
    const session = envelope.origin.session;
    const state = session ? await runtime.sessions.getState(session) : {};
    const probe = createFakeStepContext({ runtime, sharedEnvelope: envelope, state });
    if (step.when && !(await runtime.expressions.evaluate(step.when, probe.facts()))) continue;
    const service = services.get(step.service)!;
    const params = applySpec(service.spec, { ...step.options, ...decide(step, probe.facts()) });
    expect(params.errors, `${step.id} params`).toEqual([]);
    const ctx = createFakeStepContext({ runtime, sharedEnvelope: envelope, state, step, stepIndex: index, params: params.value });
    const result = (await service.run(ctx)) ?? { outcome: 'completed' as const };
    if (result.outcome !== 'completed') return result;
    await ctx.flush();
  }
  return { outcome: 'completed' };
}

describe('calculator sample (PerSession state, DIVIDE_BY_ZERO)', () => {
  const compute = `(
    $n := body.n; $r := state.result;
    $sym := {"AddTo": " + ", "SubtractFrom": " - ", "MultiplyBy": " * ", "DivideBy": " / "};
    {
      "result": action = "AddTo" ? $r + $n : action = "SubtractFrom" ? $r - $n : action = "MultiplyBy" ? $r * $n : $r / $n,
      "equation": state.equation & $lookup($sym, action) & $jsString($n)
    }
  )`;
  const steps: StepDefinition[] = [
    { id: 'init', service: 'session', when: '$not($exists(state.equation))', options: { op: 'set', value: { result: 0, equation: '0' } } },
    {
      id: 'divide-by-zero',
      service: 'fault',
      when: 'action = "DivideBy" and body.n = 0',
      options: { code: 'DIVIDE_BY_ZERO', message: 'cannot divide by zero' },
    },
    { id: 'compute', service: 'session', when: 'action != "Clear"', options: { op: 'merge', expression: compute } },
    { id: 'result', service: 'callback', when: 'action != "Clear"', options: { action: 'Result', expression: '{ "result": state.result }' } },
    {
      id: 'equation',
      service: 'callback',
      when: 'action = "Clear"',
      options: { action: 'Equation', expression: '{ "equation": state.equation & " = " & $jsString(state.result) }' },
    },
    { id: 'reset', service: 'session', when: 'action = "Clear"', options: { op: 'set', value: { result: 0, equation: '0' } } },
  ];

  it('AddTo 100, SubtractFrom 50, MultiplyBy 3, DivideBy 2, Clear', async () => {
    const runtime = createFakeRuntime();
    (runtime.sessions as FakeSessionStore).seed('s1');
    (runtime.sessions as FakeSessionStore).seed('s2');
    const ops: [string, unknown][] = [
      ['AddTo', { n: 100 }],
      ['SubtractFrom', { n: 50 }],
      ['MultiplyBy', { n: 3 }],
      ['DivideBy', { n: 2 }],
      ['Clear', null],
    ];
    for (const [action, body] of ops) {
      const r = await run(runtime, steps, createFakeEnvelope({ action, body, origin: { transport: 'ws', session: 's1' } }));
      expect(r.outcome).toBe('completed');
    }
    const frames = await runtime.sessions.pending('s1', 0);
    expect(frames.map((f) => (f.type === 'callback' ? [f.action, f.body] : f))).toEqual([
      ['Result', { result: 100 }],
      ['Result', { result: 50 }],
      ['Result', { result: 150 }],
      ['Result', { result: 75 }],
      ['Equation', { equation: '0 + 100 - 50 * 3 / 2 = 75' }],
    ]);
    expect(await runtime.sessions.getState('s1')).toEqual({ result: 0, equation: '0' });
    expect(await runtime.sessions.pending('s2', 0)).toEqual([]);
  });

  it('DivideBy 0 faults DIVIDE_BY_ZERO and leaves the state alone', async () => {
    const runtime = createFakeRuntime();
    (runtime.sessions as FakeSessionStore).seed('s1', { result: 5, equation: '0 + 5' });
    const r = await run(runtime, steps, createFakeEnvelope({ action: 'DivideBy', body: { n: 0 }, origin: { transport: 'ws', session: 's1' } }));
    expect(r).toMatchObject({ outcome: 'faulted', error: { code: 'DIVIDE_BY_ZERO' } });
    expect(await runtime.sessions.getState('s1')).toEqual({ result: 5, equation: '0 + 5' });
  });
});

describe('orders sample (canonical in, decision by rules, endpoint format out)', () => {
  const receive: StepDefinition[] = [
    {
      id: 'validate',
      service: 'validate',
      stage: 'receive',
      options: {
        schema: {
          type: 'object',
          required: ['productId', 'amount', 'customerId'],
          properties: { productId: { type: 'integer' }, amount: { type: 'integer' }, customerId: { type: 'integer' } },
        },
      },
    },
    {
      id: 'to-canonical',
      service: 'transform',
      stage: 'receive',
      options: { expression: '{ "order": { "product": body.productId, "quantity": body.amount, "customer": body.customerId } }' },
    },
    { id: 'ack', service: 'reply', stage: 'receive', options: { value: true } },
  ];
  const after: StepDefinition[] = [
    { id: 'decide', service: 'callback', resolver: { type: 'rules', policy: 'order-decision' } },
    { id: 'route', service: 'route', resolver: { type: 'rules', policy: 'order-endpoint' } },
    { id: 'deliver', service: 'send', options: { expression: '{ "sku": body.order.product, "qty": body.order.quantity, "customer": body.order.customer }' } },
  ];
  // Stand-ins for the two rules policies.
  const decide: Decide = (step, facts) => {
    const order = (facts.body as { order: { quantity: number } }).order;
    if (step.id === 'decide') {
      return order.quantity > 10
        ? { action: 'OrderCanceled', value: { reason: 'Not in store' } }
        : { action: 'OrderPurchased', expression: '{ "orderId": body.order.product * 1000 + body.order.customer, "comment": "Purchased successfully" }' };
    }
    if (step.id === 'route') {
      return facts.env.ORDERS_ENDPOINT_URL
        ? { adapter: 'http', address: '${env:ORDERS_ENDPOINT_URL}', config: 'timeoutMs=2000' }
        : { adapter: 'queue', address: 'orders-out' };
    }
    return {};
  };

  it('over HTTP without a session: replied true, decision recorded, sent in the endpoint format', async () => {
    const runtime = createFakeRuntime({ env: { ORDERS_ENDPOINT_URL: 'http://orders.test/in' } });
    const envelope = createFakeEnvelope({ action: 'CreateOrder', body: { productId: 7, amount: 2, customerId: 9 } });
    expect(await run(runtime, receive, envelope)).toEqual({ outcome: 'completed' });
    expect(runtime.replied).toEqual([{ messageId: 'msg-1', body: true }]);
    expect(await run(runtime, after, envelope, decide)).toEqual({ outcome: 'completed' });
    expect(envelope.context.callbacks).toEqual([{ action: 'OrderPurchased', body: { orderId: 7009, comment: 'Purchased successfully' }, delivered: false }]);
    expect(envelope.context.endpoint).toEqual({ adapter: 'http', address: '${env:ORDERS_ENDPOINT_URL}', config: 'timeoutMs=2000' });
    expect(runtime.sent[0].message.body).toEqual({ sku: 7, qty: 2, customer: 9 });
    expect(envelope.body).toEqual({ order: { product: 7, quantity: 2, customer: 9 } });
  });

  it('cancels amounts over 10 with a callback to the session', async () => {
    const runtime = createFakeRuntime();
    (runtime.sessions as FakeSessionStore).seed('s1');
    const envelope = createFakeEnvelope({
      action: 'CreateOrder',
      body: { productId: 7, amount: 11, customerId: 9 },
      origin: { transport: 'ws', session: 's1', clientMessageId: 'c1' },
    });
    await run(runtime, receive, envelope);
    await run(runtime, after, envelope, decide);
    expect(await runtime.sessions.pending('s1', 0)).toEqual([
      { type: 'callback', seq: 1, action: 'OrderCanceled', correlationId: 'corr-1', body: { reason: 'Not in store' }, id: 'c1' },
    ]);
    expect(runtime.sent[0].endpoint).toEqual({ adapter: 'queue', address: 'orders-out' });
  });

  it('refuses a bad order before publication with VALIDATION_FAILED', async () => {
    const runtime = createFakeRuntime();
    const r = await run(runtime, receive, createFakeEnvelope({ action: 'CreateOrder', body: { productId: '7', amount: 2 } }));
    expect(r).toMatchObject({ outcome: 'faulted', error: { code: 'VALIDATION_FAILED' } });
    expect(runtime.replied).toEqual([]);
  });
});

describe('chat sample (groups across sessions)', () => {
  const steps: StepDefinition[] = [
    {
      id: 'not-registered',
      service: 'fault',
      when: 'action = "SendMessage" and $not($exists(state.name))',
      options: { code: 'NOT_REGISTERED', message: 'register first' },
    },
    {
      id: 'remember',
      service: 'session',
      when: 'action = "RegisterClient"',
      options: { op: 'merge', expression: '{ "name": body.name, "clientId": $uuid() }' },
    },
    { id: 'join', service: 'session', when: 'action = "RegisterClient"', options: { op: 'join', group: 'chat' } },
    {
      id: 'registered',
      service: 'callback',
      when: 'action = "RegisterClient"',
      options: {
        action: 'NotifyClient',
        expression: '{ "text": state.name & " has been registered with clientID: " & state.clientId, "clientId": state.clientId }',
      },
    },
    {
      id: 'broadcast',
      service: 'callback',
      when: 'action = "SendMessage"',
      options: { action: 'NotifyClient', to: 'group', group: 'chat', expression: '{ "text": state.name & ": " & body.text }' },
    },
    { id: 'leave', service: 'session', when: 'action = "UnRegisterClient"', options: { op: 'leave', group: 'chat' } },
    {
      id: 'unregistered',
      service: 'callback',
      when: 'action = "UnRegisterClient"',
      options: { action: 'NotifyClient', expression: '{ "text": body.clientId & " has been un registered" }' },
    },
  ];
  const msg = (session: string, action: string, body: unknown) => createFakeEnvelope({ action, body, origin: { transport: 'poll', session } });
  const bodies = async (rt: FakeRuntime, s: string) => (await rt.sessions.pending(s, 0)).map((f) => (f.type === 'callback' ? f.body : f));

  it('register, broadcast to the group (sender too), unregister', async () => {
    const runtime = createFakeRuntime();
    const store = runtime.sessions as FakeSessionStore;
    store.seed('ann');
    store.seed('bob');
    expect(await run(runtime, steps, msg('ann', 'RegisterClient', { name: 'Ann' }))).toEqual({ outcome: 'completed' });
    await run(runtime, steps, msg('bob', 'RegisterClient', { name: 'Bob' }));
    const [welcome] = await bodies(runtime, 'ann');
    const clientId = (welcome as { clientId: string }).clientId;
    expect(welcome).toEqual({ text: `Ann has been registered with clientID: ${clientId}`, clientId });
    expect(clientId).toMatch(/^[0-9a-f-]{36}$/);

    await run(runtime, steps, msg('bob', 'SendMessage', { text: 'hello' }));
    expect((await bodies(runtime, 'ann')).at(-1)).toEqual({ text: 'Bob: hello' });
    expect((await bodies(runtime, 'bob')).at(-1)).toEqual({ text: 'Bob: hello' });

    await run(runtime, steps, msg('ann', 'UnRegisterClient', { clientId }));
    expect((await bodies(runtime, 'ann')).at(-1)).toEqual({ text: `${clientId} has been un registered` });
    expect(await runtime.sessions.members('chat')).toEqual(['bob']);
  });

  it('SendMessage before registering faults NOT_REGISTERED', async () => {
    const runtime = createFakeRuntime();
    (runtime.sessions as FakeSessionStore).seed('eve');
    expect(await run(runtime, steps, msg('eve', 'SendMessage', { text: 'hi' }))).toMatchObject({ outcome: 'faulted', error: { code: 'NOT_REGISTERED' } });
  });
});
