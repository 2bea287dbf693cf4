import { describe, expect, it } from 'vitest';
import { transformStep } from './transform.step';
import { createFakeLoadCheckContext } from './testing/fake-load-check';
import { runFakeStep } from './testing/fake-context';

const order = { productId: 7, amount: 2, customerId: 9 };

describe('transform step', () => {
  it('replaces the body with an inline expression over the facts', async () => {
    const { result, ctx } = await runFakeStep(transformStep, {
      body: order,
      action: 'CreateOrder',
      params: { expression: '{ "order": { "product": body.productId, "quantity": body.amount, "customer": body.customerId }, "action": action }' },
    });
    expect(result).toEqual({ outcome: 'completed' });
    expect(ctx.envelope.body).toEqual({ order: { product: 7, quantity: 2, customer: 9 }, action: 'CreateOrder' });
  });

  it('runs a named map at a pinned version', async () => {
    const maps = { 'to-canonical@1.0.0': '{ "v": 1, "p": body.productId }', 'to-canonical@2.0.0': '{ "v": 2, "p": body.productId }' };
    const pinned = await runFakeStep(transformStep, { body: order, maps, params: { map: 'to-canonical', version: '1.0.0' } });
    expect(pinned.ctx.envelope.body).toEqual({ v: 1, p: 7 });
  });

  it('writes a context property, leaving the body alone', async () => {
    const { ctx } = await runFakeStep(transformStep, { body: order, params: { expression: 'body.amount * 10', target: 'context.total' } });
    expect(ctx.envelope.context.total).toBe(20);
    expect(ctx.envelope.body).toEqual(order);
  });

  it('replaces the session state (saved when the step completes)', async () => {
    const { result, ctx } = await runFakeStep(transformStep, {
      session: 's1',
      state: { result: 1, equation: '0' },
      body: { n: 4 },
      params: { expression: '{ "result": state.result + body.n, "equation": state.equation & " + " & $jsString(body.n) }', target: 'state' },
    });
    expect(result.outcome).toBe('completed');
    expect(await ctx.runtime.sessions.getState('s1')).toEqual({ result: 5, equation: '0 + 4' });
  });

  it('faults when the state would not be an object, or there is no session', async () => {
    const notObject = await runFakeStep(transformStep, { session: 's1', params: { expression: '42', target: 'state' } });
    expect(notObject.result).toMatchObject({ outcome: 'faulted', error: { code: 'STATE_INVALID' } });
    const noSession = await runFakeStep(transformStep, { params: { expression: '{}', target: 'state' } });
    expect(noSession.result).toMatchObject({ outcome: 'faulted', error: { code: 'NO_SESSION' } });
  });

  it('needs exactly one of map and expression, and a valid target', async () => {
    const neither = await runFakeStep(transformStep, { params: {} });
    expect(neither.result).toMatchObject({
      outcome: 'faulted',
      error: { code: 'STEP_PARAMS_INVALID', message: expect.stringMatching(/exactly one of "map"/) },
    });
    const both = await runFakeStep(transformStep, { maps: { m: '1' }, params: { map: 'm', expression: '1' } });
    expect(both.result).toMatchObject({ outcome: 'faulted', error: { code: 'STEP_PARAMS_INVALID' } });
    const target = await runFakeStep(transformStep, { params: { expression: '1', target: 'headers' } });
    expect(target.result).toMatchObject({ outcome: 'faulted', error: { code: 'STEP_PARAMS_INVALID', message: expect.stringMatching(/context\.<name>/) } });
  });

  it('turns an evaluation error or a missing map into a fault, not a throw', async () => {
    const bad = await runFakeStep(transformStep, { params: { expression: '$unknownFn(1)' } });
    expect(bad.result).toMatchObject({ outcome: 'faulted', error: { code: 'EXPRESSION_FAILED' } });
    const missing = await runFakeStep(transformStep, { params: { map: 'nope' } });
    expect(missing.result).toMatchObject({ outcome: 'faulted', error: { code: 'MAP_NOT_FOUND' } });
  });

  it('check(): the map must exist, the expression must compile, the target must be valid', () => {
    const lc = createFakeLoadCheckContext({ maps: ['to-canonical@1.0.0'] });
    expect(transformStep.check!({ map: 'to-canonical', target: 'body' }, lc)).toEqual([]);
    expect(transformStep.check!({ map: 'to-canonical', version: '1.0.0', target: 'body' }, lc)).toEqual([]);
    expect(transformStep.check!({ map: 'to-canonicl', target: 'body' }, lc)).toEqual([expect.objectContaining({ pointer: '/steps/0/options/map' })]);
    expect(transformStep.check!({ map: 'to-canonical', version: '9.0.0', target: 'body' }, lc)).toEqual([
      expect.objectContaining({ pointer: '/steps/0/options/version' }),
    ]);
    expect(transformStep.check!({ expression: '{ "a": ', target: 'body' }, lc)).toEqual([
      expect.objectContaining({ pointer: '/steps/0/options/expression', message: expect.stringMatching(/syntax/) }),
    ]);
    expect(transformStep.check!({ expression: '1', map: 'to-canonical', target: 'body' }, lc)[0].message).toMatch(/only one/);
    expect(transformStep.check!({ expression: '1', target: 'context.' }, lc)).toEqual([expect.objectContaining({ pointer: '/steps/0/options/target' })]);
  });
});
