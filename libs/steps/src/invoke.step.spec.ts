import { describe, expect, it } from 'vitest';
import { ItineraError, type InvokeHandler, type StepContext } from '@itinera/core';
import { invokeStep, type InvokeParams } from './invoke.step';
import { createFakeLoadCheckContext } from './testing/fake-load-check';
import { runFakeStep } from './testing/fake-context';

describe('invoke step', () => {
  it('runs the registered handler with its options in ctx.params.options', async () => {
    const calls: unknown[] = [];
    const reserve: InvokeHandler = {
      run(ctx: StepContext) {
        calls.push((ctx.params as InvokeParams).options);
        ctx.envelope.context.reserved = true;
      },
    };
    const { result, ctx } = await runFakeStep(invokeStep, { invokables: { reserve }, params: { name: 'reserve', options: { warehouse: 'north' } } });
    expect(result).toEqual({ outcome: 'completed' });
    expect(calls).toEqual([{ warehouse: 'north' }]);
    expect(ctx.envelope.context.reserved).toBe(true);
  });

  it("passes the handler's result through", async () => {
    const stop: InvokeHandler = { run: () => ({ outcome: 'terminated' }) };
    expect((await runFakeStep(invokeStep, { invokables: { stop }, params: { name: 'stop' } })).result).toEqual({ outcome: 'terminated' });
  });

  it('faults INVOKABLE_NOT_FOUND for an unregistered name', async () => {
    const { result } = await runFakeStep(invokeStep, { params: { name: 'nope' } });
    expect(result).toMatchObject({ outcome: 'faulted', error: { code: 'INVOKABLE_NOT_FOUND' } });
  });

  it('keeps an ItineraError, and wraps anything else in INVOKE_FAILED', async () => {
    const coded: InvokeHandler = {
      run() {
        throw new ItineraError('OUT_OF_STOCK', 'none left', { transient: true });
      },
    };
    await expect(runFakeStep(invokeStep, { invokables: { coded }, params: { name: 'coded' } })).rejects.toMatchObject({
      code: 'OUT_OF_STOCK',
      transient: true,
    });
    const plain: InvokeHandler = {
      async run() {
        throw new TypeError('x is undefined');
      },
    };
    await expect(runFakeStep(invokeStep, { invokables: { plain }, params: { name: 'plain' } })).rejects.toMatchObject({
      code: 'INVOKE_FAILED',
      message: expect.stringMatching(/"plain" threw: x is undefined/),
    });
  });

  it('check(): the name must be registered', () => {
    const lc = createFakeLoadCheckContext({ invokables: ['reserve'] });
    expect(invokeStep.check!({ name: 'reserve', options: {} }, lc)).toEqual([]);
    expect(invokeStep.check!({ name: 'reserv', options: {} }, lc)).toEqual([expect.objectContaining({ pointer: '/steps/0/options/name' })]);
  });
});
