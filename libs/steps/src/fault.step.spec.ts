import { describe, expect, it } from 'vitest';
import { faultStep } from './fault.step';
import { createFakeLoadCheckContext } from './testing/fake-load-check';
import { runFakeStep } from './testing/fake-context';

describe('fault step', () => {
  it('returns a fault with the code and message', async () => {
    const { result } = await runFakeStep(faultStep, { params: { code: 'DIVIDE_BY_ZERO', message: 'cannot divide by zero' } });
    expect(result).toMatchObject({ outcome: 'faulted', error: { code: 'DIVIDE_BY_ZERO', message: 'cannot divide by zero', transient: false } });
  });

  it('has a default message naming the step', async () => {
    const { result } = await runFakeStep(faultStep, { step: { id: 'not-registered' }, params: { code: 'NOT_REGISTERED' } });
    expect(result).toMatchObject({ error: { message: expect.stringMatching(/"not-registered".*NOT_REGISTERED/) } });
  });

  it('check() and run() refuse a code that is not upper-snake', async () => {
    expect(faultStep.check!({ code: 'divide-by-zero' }, createFakeLoadCheckContext())).toEqual([expect.objectContaining({ pointer: '/steps/0/options/code' })]);
    expect((await runFakeStep(faultStep, { params: { code: 'oops' } })).result).toMatchObject({ error: { code: 'STEP_PARAMS_INVALID' } });
  });
});
