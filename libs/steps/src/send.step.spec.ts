import { describe, expect, it } from 'vitest';
import { ItineraError } from '@itinera/core';
import { sendStep } from './send.step';
import { createFakeLoadCheckContext } from './testing/fake-load-check';
import { runFakeStep } from './testing/fake-context';

const canonical = { order: { product: 7, quantity: 2, customer: 9 } };

describe('send step', () => {
  it('sends to the endpoint in its options with the step id as idempotency key', async () => {
    const { result, ctx } = await runFakeStep(sendStep, { body: canonical, params: { adapter: 'http', address: 'http://x.test/', config: 'timeoutMs=2000' } });
    expect(result).toEqual({ outcome: 'completed' });
    expect(ctx.runtime.sent).toHaveLength(1);
    const { endpoint, message } = ctx.runtime.sent[0];
    expect(endpoint).toEqual({ adapter: 'http', address: 'http://x.test/', config: 'timeoutMs=2000' });
    expect(message.idempotencyKey).toBe(ctx.stepId);
    expect(message.body).toEqual(canonical);
    expect(message.envelope).toBe(ctx.envelope);
  });

  it('uses context.endpoint from a route step when its options name none', async () => {
    const endpoint = { adapter: 'queue', address: 'orders-out', config: {} };
    const { ctx } = await runFakeStep(sendStep, { envelope: { context: { endpoint } } });
    expect(ctx.runtime.sent[0].endpoint).toEqual(endpoint);
  });

  it('faults NO_ENDPOINT when there is neither', async () => {
    const { result } = await runFakeStep(sendStep, {});
    expect(result).toMatchObject({ outcome: 'faulted', error: { code: 'NO_ENDPOINT', message: expect.stringMatching(/route step/) } });
    const partial = await runFakeStep(sendStep, { params: { adapter: 'http' } });
    expect(partial.result).toMatchObject({ outcome: 'faulted', error: { code: 'STEP_PARAMS_INVALID' } });
  });

  it('builds the outgoing payload with a map or expression, leaving the body alone', async () => {
    const maps = { 'to-warehouse': '{ "sku": body.order.product, "qty": body.order.quantity }' };
    const { ctx } = await runFakeStep(sendStep, { body: canonical, maps, params: { adapter: 'log', address: 'wh', map: 'to-warehouse' } });
    expect(ctx.runtime.sent[0].message.body).toEqual({ sku: 7, qty: 2 });
    expect(ctx.envelope.body).toEqual(canonical);
    const expr = await runFakeStep(sendStep, { body: canonical, params: { adapter: 'log', address: 'wh', expression: 'body.order.customer' } });
    expect(expr.ctx.runtime.sent[0].message.body).toBe(9);
  });

  it('keeps the response where resultTarget says', async () => {
    const send = () => ({ status: 201, body: { receipt: 'r-1' } });
    const none = await runFakeStep(sendStep, { body: canonical, send, params: { adapter: 'http', address: 'http://x.test/' } });
    expect(none.ctx.envelope.body).toEqual(canonical);
    const ctxTarget = await runFakeStep(sendStep, {
      body: canonical,
      send,
      params: { adapter: 'http', address: 'http://x.test/', resultTarget: 'context.receipt' },
    });
    expect(ctxTarget.ctx.envelope.context.receipt).toEqual({ receipt: 'r-1' });
    const body = await runFakeStep(sendStep, { body: canonical, send, params: { adapter: 'http', address: 'http://x.test/', resultTarget: 'body' } });
    expect(body.ctx.envelope.body).toEqual({ receipt: 'r-1' });
  });

  it('throws a transient failure (so the runner retries) and faults a permanent one', async () => {
    const transient = () => {
      throw new ItineraError('SEND_FAILED', '503', { transient: true });
    };
    await expect(runFakeStep(sendStep, { send: transient, params: { adapter: 'http', address: 'http://x.test/' } })).rejects.toMatchObject({
      code: 'SEND_FAILED',
      transient: true,
    });
    const permanent = () => {
      throw new ItineraError('SEND_FAILED', '400');
    };
    const { result } = await runFakeStep(sendStep, { send: permanent, params: { adapter: 'http', address: 'http://x.test/' } });
    expect(result).toMatchObject({ outcome: 'faulted', error: { code: 'SEND_FAILED' } });
  });

  it('check(): adapter and address together, a known adapter, one payload source, a valid resultTarget', () => {
    const lc = createFakeLoadCheckContext({ maps: ['to-warehouse'] });
    expect(sendStep.check!({ resultTarget: 'none' }, lc)).toEqual([]);
    expect(sendStep.check!({ adapter: 'http', resultTarget: 'none' }, lc)).toEqual([expect.objectContaining({ pointer: '/steps/0/options/address' })]);
    expect(sendStep.check!({ adapter: 'smtp', address: 'x', resultTarget: 'none' }, lc)).toEqual([
      expect.objectContaining({ pointer: '/steps/0/options/adapter' }),
    ]);
    expect(sendStep.check!({ map: 'to-warehouse', expression: '1', resultTarget: 'none' }, lc)).toHaveLength(1);
    expect(sendStep.check!({ resultTarget: 'state' }, lc)).toEqual([expect.objectContaining({ pointer: '/steps/0/options/resultTarget' })]);
  });
});
