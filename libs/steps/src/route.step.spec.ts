import { describe, expect, it } from 'vitest';
import { ItineraError, type Endpoint } from '@itinera/core';
import { routeStep } from './route.step';
import { createFakeLoadCheckContext } from './testing/fake-load-check';
import { runFakeStep } from './testing/fake-context';

describe('route step', () => {
  it('checks the endpoint with the provider and stores it as decided in context.endpoint', async () => {
    const seen: { endpoint: Endpoint; pointer?: string }[] = [];
    const { result, ctx } = await runFakeStep(routeStep, {
      stepIndex: 3,
      params: { adapter: 'http', address: '${env:ORDERS_ENDPOINT_URL}', config: 'timeoutMs=2000' },
      resolveEndpoint: (endpoint, pointer) => {
        seen.push({ endpoint, pointer });
        return { adapter: 'http', address: 'http://orders.test/in', config: { timeoutMs: 2000 } };
      },
    });
    expect(result).toEqual({ outcome: 'completed' });
    expect(seen).toEqual([{ endpoint: { adapter: 'http', address: '${env:ORDERS_ENDPOINT_URL}', config: 'timeoutMs=2000' }, pointer: '/steps/3/options' }]);
    expect(ctx.envelope.context.endpoint).toEqual({ adapter: 'http', address: '${env:ORDERS_ENDPOINT_URL}', config: 'timeoutMs=2000' });
  });

  it('faults with the provider error for a bad endpoint', async () => {
    const { result, ctx } = await runFakeStep(routeStep, {
      params: { adapter: 'http', address: 'http://x.test/', config: 'methd=POST' },
      resolveEndpoint: () => {
        throw new ItineraError('ENDPOINT_INVALID', 'endpoint invalid: unknown option "methd"', {
          details: [{ pointer: '/config/methd', message: 'unknown option "methd"' }],
        });
      },
    });
    expect(result).toMatchObject({ outcome: 'faulted', error: { code: 'ENDPOINT_INVALID', message: expect.stringMatching(/methd/) } });
    expect(ctx.envelope.context.endpoint).toBeUndefined();
  });

  it('stores the endpoint unchecked when the runtime cannot resolve', async () => {
    const { ctx } = await runFakeStep(routeStep, { params: { adapter: 'queue', address: 'orders-out' }, resolveEndpoint: null });
    expect(ctx.envelope.context.endpoint).toEqual({ adapter: 'queue', address: 'orders-out' });
  });

  it('check(): the adapter must be known and the config an object or string', () => {
    const lc = createFakeLoadCheckContext();
    expect(routeStep.check!({ adapter: 'http', address: 'http://x', config: 'a=1' }, lc)).toEqual([]);
    expect(routeStep.check!({ adapter: 'ftp', address: 'x' }, lc)).toEqual([expect.objectContaining({ pointer: '/steps/0/options/adapter' })]);
    expect(routeStep.check!({ adapter: 'http', address: 'x', config: 5 }, lc)).toEqual([expect.objectContaining({ pointer: '/steps/0/options/config' })]);
  });
});
