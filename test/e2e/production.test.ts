import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, http, waitFor } from '@itinera/testing';

/**
 * The bus as a program under NODE_ENV=production (issue 10 point 5, issue 11 point 5):
 * unsafe defaults stop it with one error naming each setting; with the opt-ins written
 * out it starts, and every line on stdout is pino JSON, Nest's own lines included, the
 * lines about a message carrying its ids.
 */
const ROOT = resolve(__dirname, '../..');
/** The variables this test decides, cleared of whatever the parent environment holds. */
const CLEAN = {
  NODE_ENV: 'production',
  ITINERA_ADMIN_TOKEN: '',
  ITINERA_AUTH: '',
  ITINERA_ALLOWED_ORIGINS: '',
  ITINERA_SEND_ALLOWLIST: '',
  ITINERA_OPEN_OPERATOR_ENDPOINTS: '',
  ITINERA_LOG_PRETTY: '',
  ITINERA_TRANSPORT: 'memory',
};

function startBus(env: Record<string, string>): { proc: ChildProcess; out: string[]; err: () => string; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'apps/bus/src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...CLEAN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  let partial = '';
  proc.stdout!.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop()!;
    out.push(...parts.filter((l) => l !== ''));
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, out, err: () => stderr, exited };
}

describe('NODE_ENV=production', { timeout: 60_000 }, () => {
  it('refuses the unsafe defaults in one error that names each setting and what to set', async () => {
    const bus = startBus({ PORT: String(await freePort()) });
    const code = await bus.exited;
    expect(code).toBe(1);
    // One pino-style JSON line (what a crash loop's log shows), no stack trace.
    const lines = bus.err().trim().split('\n');
    expect(lines).toHaveLength(1);
    const failure = JSON.parse(lines[0]!) as { level: string; code: string; msg: string; details: { pointer: string; message: string }[] };
    expect(failure).toMatchObject({
      level: 'fatal',
      code: 'INSECURE_PRODUCTION_CONFIG',
      msg: expect.stringMatching(/^bus did not start \(INSECURE_PRODUCTION_CONFIG\)/),
    });
    const settings = Object.fromEntries(failure.details.map((d) => [d.pointer, d.message]));
    expect(Object.keys(settings).sort()).toEqual(['/ITINERA_ADMIN_TOKEN', '/ITINERA_ALLOWED_ORIGINS', '/ITINERA_SEND_ALLOWLIST']);
    expect(settings['/ITINERA_ADMIN_TOKEN']).toMatch(/ITINERA_OPEN_OPERATOR_ENDPOINTS=true/);
    expect(settings['/ITINERA_ALLOWED_ORIGINS']).toMatch(/ITINERA_ALLOWED_ORIGINS=\*/);
    expect(settings['/ITINERA_SEND_ALLOWLIST']).toMatch(/ITINERA_SEND_ALLOWLIST=\*/);
    expect(bus.err()).not.toMatch(/\n\s+at /);
    expect(bus.out.some((l) => l.includes('listening'))).toBe(false);
  });

  describe('with the opt-ins written out', () => {
    let bus: ReturnType<typeof startBus>;
    let url: string;
    let endpoint: Server;
    let calls = 0;

    beforeAll(async () => {
      // The orders endpoint: unavailable once (the step retries), then accepts, then refuses for good.
      endpoint = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          calls++;
          const status = calls === 1 ? 503 : calls === 2 ? 201 : 400;
          res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      bus = startBus({
        PORT: String(port),
        HOST: '127.0.0.1',
        ITINERA_OPEN_OPERATOR_ENDPOINTS: 'true',
        ITINERA_ALLOWED_ORIGINS: '*',
        ITINERA_SEND_ALLOWLIST: '*',
        // The stand-in endpoint is on loopback, which "*" (any public address) does not cover.
        ITINERA_SEND_ALLOW_PRIVATE: 'true',
        ITINERA_LOG_LEVEL: 'debug',
        ORDERS_ENDPOINT_URL: `http://127.0.0.1:${(endpoint.address() as { port: number }).port}/orders`,
      });
      await waitFor(() => bus.out.some((l) => l.includes('bus listening')) || (bus.proc.exitCode !== null && bus.err()), 'the bus to listen', 30_000);
      expect(bus.proc.exitCode, bus.err()).toBeNull();
    });

    afterAll(async () => {
      bus?.proc.kill('SIGTERM');
      await bus?.exited;
      endpoint?.close();
    });

    async function order(): Promise<string> {
      const res = await http(`${url}/itineraries/orders/messages`, {
        body: { productId: 7, amount: 2, customerId: 42 },
        headers: { 'itinera-action': 'CreateOrder' },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.headers.get('itinera-message-id')!;
    }

    it('ITINERA_ALLOWED_ORIGINS=* lets any origin open the duplex WebSocket', async () => {
      const opened = await new Promise<boolean>((done) => {
        const ws = new WebSocket(`${url.replace('http', 'ws')}/duplex`, 'itinera.v1', { origin: 'https://any.example.net' });
        ws.once('open', () => (ws.close(), done(true)));
        ws.once('error', () => done(false));
      });
      expect(opened).toBe(true);
    });

    it("every stdout line is pino JSON, Nest lines included; a message's lines carry its ids", async () => {
      const delivered = await order();
      await waitFor(async () => (await http(`${url}/messages/${delivered}`)).body?.status === 'completed', 'the order to be delivered', 20_000);
      const faulted = await order();
      await waitFor(() => bus.out.some((l) => l.includes(faulted) && l.includes('itinerary faulted')), 'the fault line', 20_000);

      const lines = bus.out.map((l) => {
        try {
          return JSON.parse(l) as Record<string, any>;
        } catch {
          throw new Error(`not a JSON line: ${l}`);
        }
      });
      for (const l of lines) expect(l).toMatchObject({ level: expect.any(String), time: expect.any(String), msg: expect.any(String) });

      const nest = lines.filter((l) => l.component === 'nest');
      expect(nest.map((l) => l.msg)).toContain('Starting Nest application...');
      expect(nest.every((l) => typeof l.context === 'string')).toBe(true);

      // Every line that names a message names all its ids.
      const aboutMessages = lines.filter((l) => l.messageId !== undefined);
      for (const l of aboutMessages) expect(l, JSON.stringify(l)).toMatchObject({ correlationId: expect.any(String), itinerary: 'orders@1.0.0' });

      const of = (id: string) => aboutMessages.filter((l) => l.messageId === id);
      // The 503 is retried (by the adapter or the step), then delivered: each send line names the step.
      const sends = of(delivered).filter((l) => l.adapter === 'http');
      expect(sends.map((l) => l.msg)).toContain('sent');
      expect(sends.some((l) => l.msg === 'http send retry' || l.msg === 'send failed')).toBe(true);
      expect(sends.every((l) => l.step === 'deliver')).toBe(true);
      expect(
        of(delivered)
          .filter((l) => l.msg === 'step')
          .map((l) => l.step),
      ).toContain('deliver');
      expect(
        of(faulted)
          .filter((l) => l.adapter === 'http')
          .map((l) => [l.msg, l.step]),
      ).toContainEqual(['send failed', 'deliver']);
      const fault = of(faulted).find((l) => l.msg === 'itinerary faulted')!;
      expect(fault).toMatchObject({ level: 'error', step: 'deliver' });
      expect(new Set(of(faulted).map((l) => l.correlationId)).size).toBe(1);
    });
  });
});
