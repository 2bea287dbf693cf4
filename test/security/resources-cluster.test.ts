import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawDuplex, SAMPLES_DIR, http, sleep, startCluster, type Cluster } from '@itinera/testing';

/**
 * The session and message limits count cluster-wide on BullMQ: a client that spreads its
 * burst over two gateways gets no more than it would from one.
 */
describe('resource limits on the BullMQ cluster: two gateways share one budget', { timeout: 120_000 }, () => {
  const RATE = 5;
  let cluster: Cluster;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'itinera-limits-cluster-'));
    cpSync(SAMPLES_DIR, dir, { recursive: true });
    const echo = { name: 'echo-reply', version: '1.0.0', steps: [{ id: 'reply', service: 'reply', stage: 'receive', options: { expression: 'body' } }] };
    writeFileSync(join(dir, 'echo-reply.json'), JSON.stringify(echo));
    cluster = await startCluster({
      gateways: 2,
      workers: 1,
      itinerariesDir: dir,
      env: { ITINERA_SESSION_RATE: String(RATE), ITINERA_SESSION_RATE_WINDOW_S: '1', ITINERA_MESSAGE_RATE: String(RATE) },
    });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const gw = (i: number): string => cluster.gateways[i % 2]!.url;

  it('new sessions: a burst over both gateways gets one rate, not one per gateway', async () => {
    // A window opens at the first request; the burst fits in it. Counted per node it would let 2 × RATE through.
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => http(`${gw(i)}/duplex/sessions`, { method: 'POST' })));
    const created = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status === 429);
    expect(created.length + refused.length).toBe(40);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(created.length).toBeLessThan(2 * RATE);
    expect(refused[0]!.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(refused[0]!.headers.get('retry-after')).toBeTruthy();
    // The sessions created are valid on either gateway.
    for (const [i, c] of created.entries()) expect((await http(`${gw(i + 1)}/duplex/sessions/${c.body.session}`, { token: c.body.token })).status).toBe(200);
    // A WebSocket hello on the other gateway meets the same budget, then passes once the window is over.
    await sleep(1100);
    const ws = await RawDuplex.open(gw(1));
    expect(ws.session).toBeDefined();
    await ws.close();
  });

  it('messages: the per-caller rate holds across gateways, and every accepted message completed', async () => {
    await sleep(1100);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => http(`${gw(i)}/itineraries/echo-reply/messages`, { body: { i } })));
    const ok = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    expect(ok.length + refused.length).toBe(30);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(ok.length).toBeLessThan(2 * RATE);
    expect(refused[0]!.body).toMatchObject({ code: 'RATE_LIMITED' });
    for (const [i, a] of ok.entries()) {
      const record = await http(`${gw(i)}/messages/${a.headers.get('itinera-message-id')}`);
      expect(record.status).toBe(200);
      expect(record.body).toMatchObject({ status: 'completed', reply: { body: a.body } });
    }
    // Both gateways are still up and answering.
    for (const i of [0, 1]) expect((await http(`${gw(i)}/health/ready`)).status).toBe(200);
  });
});
