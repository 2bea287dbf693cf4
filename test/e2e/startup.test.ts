import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@itinera/observability';
import { freePort, http, startTestBus, waitFor } from '@itinera/testing';

const ROOT = resolve(__dirname, '../..');

interface StartFailure {
  level: string;
  code: string;
  msg: string;
  details: { pointer: string; message: string; file?: string }[];
}

/** A node that did not start writes exactly one line on stderr: pino-style JSON. */
function startFailureLine(stderr: string): StartFailure {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  return JSON.parse(lines[0]!) as StartFailure;
}

/** Run `npm start`'s entry point as a real process; resolve with its exit code and output. */
function runBus(env: Record<string, string>, untilMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string; ready: boolean }> {
  return new Promise((done) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'apps/bus/src/main.ts')], {
      cwd: ROOT,
      // ITINERA_LOG_PRETTY cleared: a start-up failure is then JSON, as stderr is no terminal.
      env: { ...process.env, ITINERA_LOG_PRETTY: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let ready = false;
    proc.stdout.on('data', (d) => {
      stdout += d;
      if (!ready && stdout.includes('bus listening')) {
        ready = true;
        proc.kill('SIGTERM');
      }
    });
    proc.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), untilMs);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, ready });
    });
  });
}

describe('start-up', { timeout: 60_000 }, () => {
  it('an invalid itinerary folder stops start-up with one JSON line naming each file and pointer, exit 1, no stack trace', async () => {
    const r = await runBus({ ITINERA_ITINERARIES: 'test/fixtures/invalid/missing-policy', PORT: String(await freePort()) });
    expect(r.code).toBe(1);
    expect(r.ready).toBe(false);
    const failure = startFailureLine(r.stderr);
    expect(failure).toMatchObject({ level: 'fatal', code: 'ITINERARIES_INVALID', msg: expect.stringMatching(/^bus did not start \(ITINERARIES_INVALID\)/) });
    expect(failure.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          file: expect.stringMatching(/missing-policy\/itinerary\.json$/),
          pointer: '/steps/0/resolver/policy',
          message: expect.stringMatching(/no policy "order-decison"/),
        }),
      ]),
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a bad environment variable stops start-up naming the variable', async () => {
    const r = await runBus({ PORT: 'eighty', ITINERA_TRANSPORT: 'kafka' });
    expect(r.code).toBe(1);
    const failure = startFailureLine(r.stderr);
    expect(failure).toMatchObject({ level: 'fatal', code: 'CONFIG_INVALID' });
    const settings = Object.fromEntries(failure.details.map((d) => [d.pointer, d.message]));
    expect(settings['/PORT']).toMatch(/must be an integer, got "eighty"/);
    expect(settings['/ITINERA_TRANSPORT']).toMatch(/must be one of "memory", "bullmq", got "kafka"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('npm start serves the samples on PORT and stops cleanly on SIGTERM', async () => {
    const r = await runBus({ PORT: String(await freePort()) });
    expect(r.ready).toBe(true);
    expect(r.stdout).toMatch(/"itineraries":\["calculator@1.0.0","chat@1.0.0","order-fulfilment@1.0.0","orders@1.0.0"\]/);
    expect(r.stdout).toMatch(/bus stopped/);
    expect(r.code === 0 || r.code === null).toBe(true);
  });
});

describe('step tracing in the logs', () => {
  it('logs one line per step, and at debug level the body before and after each transform with configured fields redacted', async () => {
    const lines: any[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
        cb();
      },
    });
    const bus = await startTestBus({ logger: createLogger({ level: 'debug', redact: ['customer'], destination: sink }) });
    try {
      const res = await http(`${bus.url}/itineraries/orders/messages`, {
        body: { productId: 5, amount: 1, customerId: 99, password: 'hunter2' },
        headers: { 'itinera-action': 'CreateOrder' },
      });
      const id = res.headers.get('itinera-message-id');
      await waitFor(() => lines.some((l) => l.messageId === id && l.step === 'deliver'), 'the last step line');
      const steps = lines.filter((l) => l.msg === 'step' && l.messageId === id);
      expect(steps.map((l) => l.step)).toEqual(['validate', 'to-canonical', 'reply', 'order-number', 'decide', 'route', 'deliver']);
      for (const l of steps) {
        expect(l).toMatchObject({
          correlationId: expect.any(String),
          itinerary: 'orders@1.0.0',
          service: expect.any(String),
          stage: expect.any(String),
          outcome: 'completed',
        });
        expect(typeof l.durationMs).toBe('number');
      }
      expect(steps.find((l) => l.step === 'decide').decision).toMatchObject({ type: 'rules', source: 'order-decision@1.0.0' });
      const transform = steps.find((l) => l.step === 'to-canonical');
      expect(transform.before).toMatchObject({ productId: 5, password: '[redacted]' });
      expect(transform.after.order).toEqual({ product: 5, quantity: 1, customer: '[redacted]' });
    } finally {
      await bus.close();
    }
  });
});
