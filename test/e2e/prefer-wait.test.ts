import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLES_DIR, http, startTestBus } from '@itinera/testing';

/** An itinerary that replies only after publication, after a delay: `Prefer: wait=N` holds the request for it. */
describe('Prefer: wait=N', () => {
  let dir: string;
  let bus: Awaited<ReturnType<typeof startTestBus>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'itinera-wait-'));
    cpSync(SAMPLES_DIR, dir, { recursive: true });
    writeFileSync(
      join(dir, 'quote.json'),
      JSON.stringify({
        name: 'quote',
        version: '1.0.0',
        steps: [
          { id: 'think', service: 'delay', options: { ms: 300 } },
          { id: 'answer', service: 'reply', options: { expression: "{ 'price': body.qty * 3 }" } },
        ],
      }),
    );
    bus = await startTestBus({ itinerariesDir: dir });
  });
  afterAll(async () => {
    await bus?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds the request until the reply given after publication, then answers 200 with it', async () => {
    const t0 = Date.now();
    const r = await http(`${bus.url}/itineraries/quote/messages`, { body: { qty: 5 }, headers: { prefer: 'wait=5' } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ price: 15 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(r.headers.get('itinera-message-id')).toBeTruthy();
  });

  it('without Prefer: wait the same message is 202 Accepted at once, and the reply is in its record', async () => {
    const r = await http(`${bus.url}/itineraries/quote/messages`, { body: { qty: 2 } });
    expect(r.status).toBe(202);
    await new Promise((res) => setTimeout(res, 600));
    const rec = await http(`${bus.url}/messages/${r.body.messageId}`);
    expect(rec.body).toMatchObject({ status: 'completed', reply: { body: { price: 6 } } });
  });

  it('a wait shorter than the itinerary answers 202 when it runs out', async () => {
    const r = await http(`${bus.url}/itineraries/quote/messages`, { body: { qty: 1 }, headers: { prefer: 'wait=0.1' } });
    expect(r.status).toBe(202);
    expect(r.body.status).toMatch(/accepted|running/);
  });
});
