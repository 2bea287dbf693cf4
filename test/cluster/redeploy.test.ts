import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLES_DIR, http, startRedis, startTestBus, waitFor, type RedisServer } from '@itinera/testing';

/**
 * A redeploy while a message waits in the message box: the gateway accepted it on
 * orders@1.0.0; the workers that run it were redeployed with orders@2.0.0 beside 1.0.0.
 * The message finishes on the version it started with; new messages take 2.0.0.
 */
describe('a message stays on its itinerary version across a redeploy', { timeout: 60_000 }, () => {
  let redis: RedisServer;
  const dirs: string[] = [];
  const folder = (withV2: boolean) => {
    const dir = mkdtempSync(join(tmpdir(), 'itinera-redeploy-'));
    dirs.push(dir);
    cpSync(SAMPLES_DIR, dir, { recursive: true });
    if (withV2) {
      const v2 = JSON.parse(readFileSync(join(SAMPLES_DIR, 'orders.json'), 'utf8'));
      v2.version = '2.0.0';
      // 2.0.0 cancels every order: the trace shows which version decided.
      v2.steps.find((s: any) => s.id === 'decide').resolver = { type: 'static', params: { action: 'OrderCanceled', value: { reason: 'v2' } } };
      writeFileSync(join(dir, 'orders-2.json'), JSON.stringify(v2));
    }
    return dir;
  };
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('runs the accepted message on 1.0.0 and new ones on 2.0.0', async () => {
    const bullmq = { transport: 'bullmq' as const, redisUrl: redis.url };
    const gateway = await startTestBus({ ...bullmq, itinerariesDir: folder(false), roles: { gateway: true, worker: false } });
    const before = await http(`${gateway.url}/itineraries/orders/messages`, {
      body: { productId: 1, amount: 1, customerId: 1 },
      headers: { 'itinera-action': 'CreateOrder' },
    });
    expect(before.status).toBe(200);
    const id = before.headers.get('itinera-message-id')!;
    await gateway.close();

    // The redeployed node: 2.0.0 beside 1.0.0.
    const node = await startTestBus({ ...bullmq, itinerariesDir: folder(true) });
    try {
      const old = await waitFor(async () => {
        const r = await http(`${node.url}/messages/${id}`);
        return r.body.status === 'completed' ? r.body : undefined;
      }, 'the waiting message to complete');
      expect(old.itinerary).toBe('orders@1.0.0');
      expect(old.context.callbacks[0].action).toBe('OrderPurchased');

      const fresh = await http(`${node.url}/itineraries/orders/messages`, {
        body: { productId: 1, amount: 1, customerId: 1 },
        headers: { 'itinera-action': 'CreateOrder' },
      });
      const rec = await waitFor(async () => {
        const r = await http(`${node.url}/messages/${fresh.headers.get('itinera-message-id')}`);
        return r.body.status === 'completed' ? r.body : undefined;
      }, 'the new message to complete');
      expect(rec.itinerary).toBe('orders@2.0.0');
      expect(rec.context.callbacks[0]).toMatchObject({ action: 'OrderCanceled', body: { reason: 'v2' } });
    } finally {
      await node.close();
    }
  });
});
