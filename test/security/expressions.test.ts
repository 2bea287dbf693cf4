import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLES_DIR, http, startTestBus } from '@itinera/testing';
import { writeHostileItineraries } from '../fixtures/security/hostile-map';

/**
 * Issue 9, point 2, black box: a receive-stage map that reads body data, attacked with
 * bodies that make it backtrack, allocate, loop or recurse, several at once, while
 * /health/live is polled. Each attack answers its documented code, the process stays
 * up and answers health checks, and its memory stays bounded.
 */

const ATTACKS: { name: string; body: Record<string, unknown>; code: string }[] = [
  { name: 'catastrophic regex', body: { mode: 'regex', s: 'a'.repeat(28) + 'b' }, code: '' },
  { name: '$pad 2e8', body: { mode: 'pad', n: 200_000_000 }, code: 'EXPRESSION_LIMIT' },
  { name: 'doubling string', body: { mode: 'double', n: 40 }, code: 'EXPRESSION_LIMIT' },
  { name: '$join of pads', body: { mode: 'join', n: 100, m: 30_000 }, code: 'EXPRESSION_LIMIT' },
  { name: '$replace blow-up', body: { mode: 'replace', s: 'a'.repeat(200_000), r: 'b'.repeat(100) }, code: 'EXPRESSION_LIMIT' },
  { name: '$string of shared parts', body: { mode: 'string', n: 30 }, code: 'EXPRESSION_LIMIT' },
  ...Array.from({ length: 5 }, (_, i) => ({ name: `loop ${i + 1}`, body: { mode: 'loop' }, code: 'EXPRESSION_TIMEOUT' })),
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function startHostileBus(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'itinera-expr-'));
  cpSync(SAMPLES_DIR, dir, { recursive: true });
  writeHostileItineraries(dir);
  const bus = await startTestBus({ itinerariesDir: dir, env });
  return Object.assign(bus, {
    send: (body: unknown) => http(`${bus.url}/itineraries/hostile-map/messages`, { body }),
    async stop() {
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** Poll /health/live until `until` settles; the latencies, ms. */
async function pollHealth(url: string, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => (done = true));
  const latencies: number[] = [];
  while (!done) {
    const t = performance.now();
    const res = await fetch(`${url}/health/live`);
    expect(res.status).toBe(200);
    latencies.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 10));
  }
  return latencies;
}

describe('hostile expressions, embedded bus (evaluation on the event loop)', () => {
  let bus: Awaited<ReturnType<typeof startHostileBus>>;
  beforeAll(async () => {
    bus = await startHostileBus();
  });
  afterAll(() => bus?.stop());

  it('answers each attack with its code while health checks keep answering and memory stays bounded', async () => {
    const ok = await bus.send({ s: 'hello  big world' });
    expect(ok.status).toBe(200);
    const baseline = await pollHealth(bus.url, new Promise((r) => setTimeout(r, 300)));
    global.gc?.();
    const rssStart = process.memoryUsage().rss;
    let rssPeak = rssStart;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 5);

    const attack = Promise.all(ATTACKS.map((a) => bus.send(a.body)));
    const during = await pollHealth(bus.url, attack);
    const answers = await attack;
    clearInterval(sampler);

    for (const [i, a] of ATTACKS.entries()) {
      const res = answers[i]!;
      if (a.code) {
        expect({ attack: a.name, code: res.body?.code, status: res.status }).toEqual({
          attack: a.name,
          code: a.code,
          status: a.code === 'EXPRESSION_LIMIT' ? 422 : 500,
        });
      } else {
        // The regex answers (false) instead of backtracking: linear-time matching.
        expect({ attack: a.name, status: res.status }).toEqual({ attack: a.name, status: 200 });
      }
    }
    // The event loop was never held for an evaluation's time limit (1 s), and typical
    // health latency stayed within a generous multiple of the idle one.
    expect(Math.max(...during)).toBeLessThan(1000);
    expect(median(during)).toBeLessThan(Math.max(median(baseline) * 25, 50));
    expect(rssPeak).toBeLessThan(rssStart * 2);
    // Still serving.
    expect((await bus.send({ s: 'after' })).status).toBe(200);
  });
});

describe('built-ins over a 1 MB body, embedded bus (evaluation on the event loop)', () => {
  let bus: Awaited<ReturnType<typeof startHostileBus>>;
  beforeAll(async () => {
    bus = await startHostileBus();
  });
  afterAll(() => bus?.stop());

  // jsonata's own $distinct, $sort and $spread are quadratic in one native call: minutes each.
  const numbers = Array.from({ length: 150_000 }, (_, i) => (i * 7919) % 100_000);
  const objects = Array.from({ length: 100_000 }, (_, i) => ({ k: i % 10 }));
  const CASES = [
    { body: { mode: 'distinct', items: numbers }, count: new Set(numbers).size },
    { body: { mode: 'distinct', items: objects }, count: 10 },
    { body: { mode: 'sort', items: numbers }, count: numbers.length },
    { body: { mode: 'spread', items: objects }, count: objects.length },
  ];

  it('answers $distinct, $sort and $spread over the largest body while health checks keep answering', async () => {
    for (const c of CASES) expect(JSON.stringify(c.body).length).toBeLessThan(1_048_576);
    expect((await bus.send({ s: 'warm up' })).status).toBe(200);
    // The baseline carries the same bodies through a map that only echoes: what receiving them costs.
    const plain = Promise.all(CASES.map((c) => bus.send({ ...c.body, mode: 'plain' })));
    const baseline = await pollHealth(bus.url, plain);
    expect((await plain).every((a) => a.status === 200)).toBe(true);
    const attack = Promise.all(CASES.map((c) => bus.send(c.body)));
    const during = await pollHealth(bus.url, attack);
    const answers = await attack;
    expect(answers.map((a) => ({ status: a.status, body: a.body }))).toEqual(CASES.map((c) => ({ status: 200, body: c.count })));
    expect(Math.max(...during)).toBeLessThan(1000);
    // Carrying four 1 MB bodies holds the loop in ~100 ms pieces itself (parsing, records): the floor.
    expect(median(during)).toBeLessThan(Math.max(median(baseline) * 4, 250));
  });
});

describe('hostile expressions, evaluation threads (ITINERA_JSONATA_ISOLATION=thread)', () => {
  let bus: Awaited<ReturnType<typeof startHostileBus>>;
  beforeAll(async () => {
    bus = await startHostileBus({ ITINERA_JSONATA_ISOLATION: 'thread', ITINERA_JSONATA_WORKERS: '2' });
  });
  afterAll(() => bus?.stop());

  it('stops one long native call (a million matches) by its thread, health answering meanwhile', async () => {
    expect((await bus.send({ s: 'warm up' })).status).toBe(200);
    const baseline = await pollHealth(bus.url, new Promise((r) => setTimeout(r, 300)));
    const attack = Promise.all([
      bus.send({ mode: 'matches', s: 'a'.repeat(1_000_000) }),
      bus.send({ mode: 'regex', s: 'a'.repeat(28) + 'b' }),
      bus.send({ mode: 'pad', n: 2e8 }),
    ]);
    const during = await pollHealth(bus.url, attack);
    const [shared, regex, pad] = await attack;
    expect(shared.body?.code).toBe('EXPRESSION_TIMEOUT');
    // The regex engine's own time check, or the thread's termination, whichever comes first.
    expect(shared.body?.detail ?? shared.body?.message).toMatch(/ran longer than \d+ ms/);
    expect(regex.status).toBe(200);
    expect(pad.body?.code).toBe('EXPRESSION_LIMIT');
    expect(Math.max(...during)).toBeLessThan(1000);
    expect(median(during)).toBeLessThan(Math.max(median(baseline) * 25, 50));
    expect((await bus.send({ s: 'after' })).status).toBe(200);
  });
});

describe('fatal errors end the program', () => {
  const ROOT = resolve(__dirname, '../..');

  function runFixture(env: Record<string, string>) {
    // node itself (tsx as a loader, not its wrapper process): the exit status is the program's own.
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/security/fatal-node.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ITINERA_LOG_LEVEL: 'info', ITINERA_ITINERARIES: SAMPLES_DIR, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
    const ready = async () => {
      const deadline = Date.now() + 30_000;
      while (!stdout.includes('"ready":true')) {
        if (Date.now() > deadline) throw new Error(`fixture did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return JSON.parse(stdout.split('\n').find((l) => l.includes('"ready":true'))!) as { signals: Record<string, number> };
    };
    return { child, exited, ready, out: () => ({ stdout, stderr }) };
  }

  it.each(['throw', 'reject'])(
    'an unhandled %s writes one fatal line and exits 1 at once',
    async (mode) => {
      const run = runFixture({ FATAL_MODE: mode });
      await run.ready();
      const { code } = await run.exited;
      expect(code).toBe(1);
      const fatal = run
        .out()
        .stderr.split('\n')
        .filter((l) => l.includes('"level":"fatal"'));
      expect(fatal).toHaveLength(1);
      expect(fatal[0]).toMatch(mode === 'throw' ? /uncaught exception.*boom from a timer/ : /unhandled promise rejection.*boom from a promise/);
    },
    60_000,
  );

  it('hooks only SIGTERM and SIGINT, and SIGTERM still shuts down gracefully', async () => {
    const run = runFixture({});
    const { signals } = await run.ready();
    expect(signals.SIGILL).toBe(0);
    expect(signals.SIGSEGV).toBe(0);
    expect(signals.SIGHUP).toBe(0);
    expect(signals.SIGTERM).toBeGreaterThan(0);
    run.child.kill('SIGTERM');
    const { code, signal } = await run.exited;
    // Nest closes the application, then ends the process with the signal it received.
    expect(code === 0 || signal === 'SIGTERM').toBe(true);
    expect(run.out().stdout).toMatch(/bus stopped/);
  }, 60_000);
});
