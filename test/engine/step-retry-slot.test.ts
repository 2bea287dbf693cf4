import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLES_DIR, startTestBus } from '../support/bus';
import { http } from '../support/http';
import { waitFor } from '../support/ports';

/**
 * A step retrying with backoff waits in the message box, not in a worker slot: with one
 * worker slot, another message runs while the first waits for its retry. Embedded bus,
 * HTTP on-ramp, a send step to a local endpoint that fails the flaky message twice.
 */
const ITINERARY = {
  name: 'retry-slot',
  version: '1.0.0',
  actions: { Ship: {} },
  steps: [
    {
      id: 'deliver',
      service: 'send',
      options: { adapter: 'http', address: '${env:SLOT_TARGET_URL}', config: 'timeoutMs=2000' },
      retry: { attempts: 3, backoffMs: 800, factor: 1 },
    },
  ],
};

describe('a retrying step holds no worker slot (embedded bus, concurrency 1)', () => {
  let dir: string;
  let server: Server;
  let bus: Awaited<ReturnType<typeof startTestBus>>;
  const received: { name: string; at: number }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        const { name } = JSON.parse(data) as { name: string };
        received.push({ name, at: performance.now() });
        const tries = received.filter((r) => r.name === name).length;
        if (name === 'flaky' && tries <= 2) return void res.writeHead(503).end();
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/in`;
    dir = mkdtempSync(join(tmpdir(), 'itinera-retry-slot-'));
    cpSync(SAMPLES_DIR, dir, { recursive: true });
    writeFileSync(join(dir, 'retry-slot.json'), JSON.stringify(ITINERARY));
    bus = await startTestBus({
      itinerariesDir: dir,
      workerConcurrency: 1,
      env: { ITINERA_ENV_FACTS: 'SLOT_TARGET_URL', SLOT_TARGET_URL: url, ITINERA_SEND_ALLOWLIST: url },
    });
  }, 60_000);

  afterAll(async () => {
    await bus?.close();
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const send = async (name: string) => {
    const res = await http(`${bus.url}/itineraries/retry-slot/messages`, { body: { name }, headers: { 'itinera-action': 'Ship' } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return (res.body as { messageId: string }).messageId;
  };

  it("another message runs during a step's backoff; the retried message completes with its attempts traced", async () => {
    const flaky = await send('flaky');
    await waitFor(() => received.some((r) => r.name === 'flaky'), 'the first attempt');
    const t0 = performance.now();
    const steady = await send('steady');
    await waitFor(() => received.some((r) => r.name === 'steady'), 'the other message');
    const steadyTook = performance.now() - t0;
    await waitFor(() => received.filter((r) => r.name === 'flaky').length === 3, 'the retries', 10_000);
    const flakyAt = received.filter((r) => r.name === 'flaky').map((r) => r.at);
    const backoff = flakyAt[1]! - flakyAt[0]!;
    console.log(`[retry-slot] the other message took ${steadyTook.toFixed(1)} ms while the step waited ${backoff.toFixed(0)} ms for its retry`);
    // The only slot was free during the backoff: the other message did not wait for it (held, it would wait two backoffs).
    expect(steadyTook).toBeLessThan(backoff);
    const record = await waitFor(async () => {
      const r = await http(`${bus.url}/messages/${flaky}`);
      return (r.body as { status?: string }).status === 'completed' ? (r.body as { trace: { step: string; outcome: string; attempt: number }[] }) : undefined;
    }, 'the flaky message completed');
    expect(record.trace.filter((t) => t.step === 'deliver').map((t) => [t.outcome, t.attempt])).toEqual([
      ['retried', 1],
      ['retried', 2],
      ['completed', 3],
    ]);
    expect((await http(`${bus.url}/messages/${steady}`)).body).toMatchObject({ status: 'completed' });
  }, 30_000);
});
