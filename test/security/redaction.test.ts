import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@itinera/observability';
import { SAMPLES_DIR, http, startTestBus, waitFor } from '@itinera/testing';

/**
 * Credentials never leave the bus (issue 9, point 4), black box: one message carries a secret
 * along each path — a static resolver's param, a rules policy's param (frozen, redacted once
 * and reused), a context value, and an endpoint address from the body that faults — and none
 * shows in GET /messages/{id}, the fault views or any log line (debug level: bodies too).
 * The fatal handler masks a crashing error's message and stack as well.
 */

const SECRET = 'r3dactM3Please';
const CALLBACK = `https://user:${SECRET}@cb.test/hook?apikey=${SECRET}&q=1`;

const ITINERARY = {
  name: 'redaction',
  version: '1.0.0',
  description: 'Redaction test: secrets in a static param, a policy param, the context and an endpoint address.',
  steps: [
    { id: 'stamp', service: 'transform', resolver: { type: 'static', params: { expression: `"${CALLBACK}"`, target: 'context.callback' } } },
    { id: 'mark', service: 'transform', resolver: { type: 'rules', policy: 'secret-params', version: '1.0.0' } },
    { id: 'route', service: 'route', resolver: { type: 'expression', expression: '{ "adapter": "http", "address": body.url }' } },
    { id: 'deliver', service: 'send' },
  ],
};

const POLICY = {
  name: 'secret-params',
  version: '1.0.0',
  description: 'Params with a secret in the config-string form.',
  mode: 'first',
  rules: [
    {
      name: 'always',
      conditions: { all: [{ fact: 'body', path: '$.url', operator: 'notEqual', value: '' }] },
      params: { expression: `"token=${SECRET}&x=1"`, target: 'context.mark' },
    },
  ],
};

describe('secrets are masked in records, faults and logs (embedded bus)', () => {
  let dir: string;
  let bus: Awaited<ReturnType<typeof startTestBus>>;
  const logs: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'itinera-redact-'));
    cpSync(SAMPLES_DIR, dir, { recursive: true });
    writeFileSync(join(dir, 'redaction.json'), JSON.stringify(ITINERARY, null, 2));
    mkdirSync(join(dir, 'policies'), { recursive: true });
    writeFileSync(join(dir, 'policies', 'secret-params@1.0.0.json'), JSON.stringify(POLICY, null, 2));
    const out = new PassThrough();
    out.on('data', (d: Buffer) => logs.push(...d.toString().split('\n').filter(Boolean)));
    const logger = createLogger({ level: 'debug', destination: out });
    bus = await startTestBus({ itinerariesDir: dir, env: { ITINERA_LOG_LEVEL: 'debug' }, logger });
  }, 60_000);

  afterAll(async () => {
    await bus?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function runOne(url: string): Promise<any> {
    const res = await http(`${bus.url}/itineraries/redaction/messages`, { body: { url } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const id = res.headers.get('itinera-message-id')!;
    return waitFor(
      async () => {
        const r = await http(`${bus.url}/messages/${id}`);
        return r.body?.status === 'faulted' || r.body?.status === 'completed' ? r.body : undefined;
      },
      `message ${id} to settle`,
      20_000,
    );
  }

  it('masks a static param, a policy param, a context value and an endpoint address everywhere, message after message', async () => {
    // Twice: the second message takes the cached redaction of the frozen params.
    for (let i = 0; i < 2; i++) {
      const record = await runOne(`http://127.0.0.1:9/x?apikey=${SECRET}`);
      expect(record.status).toBe('faulted');
      expect(record.error.code).toBe('ADDRESS_REFUSED');
      const text = JSON.stringify(record);
      expect(text).not.toContain(SECRET);
      // Masked, not dropped: the operator still sees where things went.
      expect(record.context.callback).toBe('https://***@cb.test/hook?apikey=***&q=1');
      expect(record.context.mark).toBe('token=***&x=1');
      const decisions = Object.fromEntries(record.trace.filter((t: any) => t.resolver).map((t: any) => [t.step, t.resolver]));
      expect(decisions.stamp.params.expression).toBe('"https://***@cb.test/hook?apikey=***&q=1"');
      expect(decisions.mark.params.expression).toBe('"token=***&x=1"');
      expect(decisions.route.params.address).toBe('http://127.0.0.1:9/x?apikey=***');
    }
    const list = await http(`${bus.url}/faults?limit=1000`);
    expect(list.body.faults.length).toBeGreaterThanOrEqual(2);
    const details = await Promise.all(list.body.faults.map((f: { id: string }) => http(`${bus.url}/faults/${f.id}`).then((r) => r.body)));
    expect(JSON.stringify([list.body, details])).not.toContain(SECRET);
    expect(logs.some((l) => l.includes('"step":"mark"') && l.includes('token=***'))).toBe(true);
    expect(logs.filter((l) => l.includes(SECRET))).toEqual([]);
    expect((await http(`${bus.url}/health/live`)).status).toBe(200);
  });
});

describe('the fatal handler masks the error it reports', () => {
  it.each(['throw', 'reject'])('an unhandled %s: the fatal line has no credentials', async (mode) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/security/fatal-secret.ts'], {
      cwd: resolve(__dirname, '../..'),
      env: { ...process.env, FATAL_MODE: mode },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(1);
    expect(stderr).toContain('"level":"fatal"');
    expect(stderr).toContain('cannot reach http://***@db.test/x?apikey=***');
    expect(stderr).not.toContain('SECRET');
    expect(stderr).not.toContain('pw@');
  }, 30_000);
});
