import { describe, expect, it } from 'vitest';
import type { MessageBox } from '@itinera/core';
import { queueSendAdapter as queue } from './queue.send';
import { fixtureMessage, fixtureSendContext } from '../provider/send-fixtures';

describe('queue send adapter', () => {
  it('publishes a queue on-ramp job with the idempotency key as job id', async () => {
    const ctx = fixtureSendContext();
    const out = await queue.send(
      'orders-out',
      fixtureMessage({ order: 1 }, { headers: { 'X-Tenant': 'a' } }),
      { itinerary: 'fulfil', version: '1.2.0', action: 'Fulfil' },
      ctx,
    );
    expect(ctx.published).toEqual([
      {
        queue: 'orders-out',
        jobId: 'step-key-1',
        data: {
          itinerary: 'fulfil',
          version: '1.2.0',
          action: 'Fulfil',
          headers: { 'x-tenant': 'a', 'itinera-correlation-id': 'corr-1', 'itinera-message-id': 'msg-1', 'idempotency-key': 'step-key-1' },
          body: { order: 1 },
        },
      },
    ]);
    expect(out).toEqual({ body: { queue: 'orders-out', jobId: 'step-key-1' } });
  });

  it('leaves out itinerary, version and action when not configured', async () => {
    const ctx = fixtureSendContext();
    await queue.send('orders-out', fixtureMessage(), {}, ctx);
    expect(Object.keys(ctx.published[0].data as object)).toEqual(['headers', 'body']);
  });

  it("carries the sender's principal, so a trusted queue on-ramp runs the job as the sender", async () => {
    const ctx = fixtureSendContext();
    const principal = { id: 'key:alice', kind: 'api-key' as const, name: 'alice', permissions: ['scope:orders.write'] };
    const message = fixtureMessage({ order: 1 });
    await queue.send('orders-out', { ...message, envelope: { ...message.envelope, principal } }, {}, ctx);
    expect((ctx.published[0].data as { principal: unknown }).principal).toEqual(principal);
  });

  it('lets a publish failure through (the step retries it)', async () => {
    const ctx = fixtureSendContext({
      box: {
        publish: async () => {
          throw Object.assign(new Error('redis down'), { code: 'TRANSPORT_UNAVAILABLE' });
        },
      } as unknown as MessageBox,
    });
    await expect(queue.send('orders-out', fixtureMessage(), {}, ctx)).rejects.toThrow('redis down');
  });

  it('allows only exact queue names from the allow-list', async () => {
    const ctx = fixtureSendContext({ allowList: ['orders-out'] });
    await queue.send('orders-out', fixtureMessage(), {}, ctx);
    await expect(queue.send('orders-out-2', fixtureMessage(), {}, ctx)).rejects.toMatchObject({ code: 'ADDRESS_NOT_ALLOWED' });
    expect(ctx.published).toHaveLength(1);
  });

  it('checks queue names and documents every option', () => {
    expect(queue.checkAddress!('orders.out_1')).toBeUndefined();
    expect(queue.checkAddress!('bad name')).toMatch(/queue name/);
    expect(queue.checkAddress!('a:b')).toMatch(/queue name/);
    for (const [key, field] of Object.entries(queue.spec)) {
      expect(field.description, key).toBeTruthy();
      expect(field.examples?.length, key).toBeGreaterThan(0);
    }
  });
});
