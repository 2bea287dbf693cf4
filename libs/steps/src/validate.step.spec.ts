import { describe, expect, it } from 'vitest';
import { validateStep } from './validate.step';
import { createFakeLoadCheckContext } from './testing/fake-load-check';
import { runFakeStep } from './testing/fake-context';

const schemas = {
  'create-order': {
    type: 'object',
    required: ['productId', 'amount', 'customerId'],
    properties: { productId: { type: 'integer' }, amount: { type: 'integer' }, customerId: { type: 'integer' } },
  },
};

describe('validate step', () => {
  it('completes for a body that matches', async () => {
    const { result } = await runFakeStep(validateStep, { schemas, body: { productId: 1, amount: 2, customerId: 3 }, params: { schema: 'create-order' } });
    expect(result).toEqual({ outcome: 'completed' });
  });

  it('faults with VALIDATION_FAILED and pointers under /body', async () => {
    const { result } = await runFakeStep(validateStep, { schemas, body: { productId: 1.5, amount: 2 }, params: { schema: 'create-order' } });
    expect(result.outcome).toBe('faulted');
    if (result.outcome !== 'faulted') return;
    expect(result.error.code).toBe('VALIDATION_FAILED');
    expect(result.error.details?.map((d) => d.pointer).sort()).toEqual(['/body/customerId', '/body/productId']);
    expect(result.error.message).toMatch(/schema "create-order"/);
    expect(result.error.message).toMatch(/\/body\/productId/);
  });

  it('accepts an inline schema', async () => {
    const { result } = await runFakeStep(validateStep, { body: { n: 'x' }, params: { schema: { type: 'object', properties: { n: { type: 'number' } } } } });
    expect(result).toMatchObject({ outcome: 'faulted', error: { code: 'VALIDATION_FAILED', details: [expect.objectContaining({ pointer: '/body/n' })] } });
  });

  it('faults (does not throw) when the named schema is missing', async () => {
    const { result } = await runFakeStep(validateStep, { params: { schema: 'nope' } });
    expect(result).toMatchObject({ outcome: 'faulted', error: { code: 'SCHEMA_NOT_FOUND' } });
  });

  it('check(): a named schema must exist; anything else must be an object', () => {
    const lc = createFakeLoadCheckContext({ schemas: ['create-order'] });
    expect(validateStep.check!({ schema: 'create-order' }, lc)).toEqual([]);
    expect(validateStep.check!({ schema: 'create-ordr' }, lc)).toEqual([expect.objectContaining({ pointer: '/steps/0/options/schema' })]);
    expect(validateStep.check!({ schema: 3 }, lc)).toHaveLength(1);
    expect(validateStep.check!({ schema: { type: 'object' } }, lc)).toEqual([]);
  });
});
