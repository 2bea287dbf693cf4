import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '@itinera/core';
import { RawDuplex, SAMPLES_DIR, http, sleep, startTestBus } from '@itinera/testing';
import { RawWebSocket, wsFrame } from '../robustness/raw-ws';

/**
 * Unrestricted resource consumption (OWASP API4), black box against the embedded bus:
 * a WebSocket client that floods pings and never reads, bursts of new sessions, and a
 * caller sending faster than its message rate.
 */

/** A logger that keeps every line (the close reason a non-reading client never sees). */
function recordingLogger(lines: { msg: string; obj: object }[]): Logger {
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      if (level !== 'trace') lines.push({ msg: typeof obj === 'string' ? obj : (msg ?? ''), obj: typeof obj === 'string' ? {} : obj });
    };
  const logger: Logger = {
    ...silentLogger,
    level: 'debug',
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: () => logger,
    isLevelEnabled: () => true,
  };
  return logger;
}

async function until<T>(what: string, probe: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;

describe('a WebSocket client that never reads', () => {
  const lines: { msg: string; obj: object }[] = [];
  let bus: Awaited<ReturnType<typeof startTestBus>>;

  beforeAll(async () => {
    bus = await startTestBus({ logger: recordingLogger(lines) });
  });
  afterAll(async () => {
    await bus.close();
  });

  it.each([
    ['protocol pings', 'ping'],
    ['application pings', 'app'],
  ])('flooding %s: it is closed, memory stays bounded, the session resumes with its callbacks', async (_what, kind) => {
    const port = Number(new URL(bus.url).port);
    const raw = await RawWebSocket.open(port);
    raw.write(wsFrame(0x1, JSON.stringify({ type: 'hello' })));
    const welcome = await until('welcome', () => raw.texts.find((t: any) => t?.type === 'welcome') as any);
    for (let n = 1; n <= 3; n++) raw.write(wsFrame(0x1, JSON.stringify({ type: 'send', id: `add-${n}`, itinerary: 'calculator', action: 'AddTo', body: { n } })));
    // The callbacks arrive but are never acknowledged: they stay in the outbox.
    await until('three callbacks', () => (raw.texts.filter((t: any) => t?.type === 'callback').length === 3 ? true : undefined));

    // Stop reading, then flood: protocol pings (ws answers each with a pong) and application pings (answered with a pong frame).
    raw.socket.pause();
    const baseline = rssMb();
    let peak = baseline;
    const ping = wsFrame(0x9, Buffer.alloc(125, 0x61));
    const appPing = wsFrame(0x1, '{"type":"ping"}');
    const batch = Buffer.concat(Array.from({ length: 500 }, () => (kind === 'ping' ? ping : appPing)));
    let frames = 0;
    const maxFrames = 2_000_000; // ~250 MB of pongs if nothing bounded them
    while (frames < maxFrames && !raw.socket.destroyed && raw.socket.writable) {
      const more = raw.socket.write(batch);
      frames += 500;
      if (!more) {
        const drained = await Promise.race([new Promise((r) => raw.socket.once('drain', () => r(true))), raw.closed.then(() => false), sleep(15_000).then(() => false)]);
        if (!drained) break;
      }
      if (frames % 20_000 === 0) peak = Math.max(peak, rssMb());
    }
    // The server gave up on the socket without the client reading a byte: it logged the close.
    const session = welcome.session as string;
    const closedLine = await until('the server to close the socket', () =>
      lines.find((l) => (l.obj as { session?: string }).session === session && /closed/.test(l.msg)),
    );
    peak = Math.max(peak, rssMb());
    console.log(`${kind} flood: ${frames} frames sent before the close; RSS ${baseline.toFixed(0)} MB → peak ${peak.toFixed(0)} MB`);
    expect(frames).toBeLessThan(maxFrames);
    // Relative to the start: a few MB of socket buffers, not the hundreds an unbounded pong queue would take.
    expect(peak - baseline).toBeLessThan(150);
    // Reading again, the client finds the end of the stream (and the 4008 close frame when the bus closed it for its buffer).
    raw.socket.resume();
    await Promise.race([raw.closed, sleep(10_000)]);
    expect(raw.socket.destroyed).toBe(true);
    // Protocol pings are cut by ws itself (more than 60 pongs unsent: dropped, 1006); everything else by our limit, 4008.
    expect(closedLine.msg).toMatch(kind === 'app' ? /closed 4008/ : /closed/);
    raw.destroy();

    // The session lives on: resume it and get the three unacknowledged callbacks again, in order.
    const back = await RawDuplex.open(bus.url, { type: 'hello', session: welcome.session, token: welcome.token, lastSeq: 0 });
    expect(back.session).toBe(welcome.session);
    const results = await Promise.all([1, 2, 3].map((seq) => back.next((f) => f.type === 'callback' && f.seq === seq)));
    expect(results.map((f) => f.body.result)).toEqual([1, 3, 6]);
    expect((await back.call('more', 'calculator', 'AddTo', { n: 4 })).type).toBe('accepted');
    await back.close();
    // And the bus still answers everyone else.
    expect((await fetch(`${bus.url}/health/live`)).status).toBe(200);
  }, 120_000);
});

/** The samples plus `echo-reply`: a receive-stage reply with the body as sent. */
function samplesWithEcho(): string {
  const dir = mkdtempSync(join(tmpdir(), 'itinera-resources-'));
  cpSync(SAMPLES_DIR, dir, { recursive: true });
  const echo = {
    name: 'echo-reply',
    version: '1.0.0',
    description: 'Answers with the body it got.',
    steps: [{ id: 'reply', service: 'reply', stage: 'receive', options: { expression: 'body' } }],
  };
  writeFileSync(join(dir, 'echo-reply.json'), JSON.stringify(echo));
  return dir;
}

describe('sessions and messages are limited per caller', () => {
  let bus: Awaited<ReturnType<typeof startTestBus>>;
  let dir: string;

  beforeAll(async () => {
    dir = samplesWithEcho();
    // The defaults for sessions (10 new a second per address); messages: 5 a second per caller; records: 64 KiB.
    bus = await startTestBus({ itinerariesDir: dir, env: { ITINERA_MESSAGE_RATE: '5', ITINERA_SESSION_RATE_WINDOW_S: '1', ITINERA_RECORD_MAX_BYTES: '65536' } });
  });
  afterAll(async () => {
    await bus?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a burst of new sessions past the rate gets 429 RATE_LIMITED with Retry-After; the sessions created stay valid', async () => {
    await sleep(1100); // a fresh one-second window
    const answers = await Promise.all(Array.from({ length: 40 }, () => http(`${bus.url}/duplex/sessions`, { method: 'POST' })));
    const created = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status === 429);
    expect(created.length + refused.length).toBe(40);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(created.length).toBeLessThanOrEqual(20); // 10 a second; the burst may straddle two windows
    expect(refused.length).toBeGreaterThanOrEqual(20);
    for (const r of refused) {
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(r.body).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
      expect(r.body.retryAfterMs).toBeGreaterThan(0);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    for (const c of created) {
      const check = await http(`${bus.url}/duplex/sessions/${c.body.session}`, { token: c.body.token });
      expect(check.status).toBe(200);
    }
    // A WebSocket hello without a session is a new session too: the same limit, as an error frame.
    await sleep(1100);
    const hellos = await Promise.all(Array.from({ length: 15 }, () => RawDuplex.open(bus.url)));
    const welcomed = hellos.filter((h) => h.session);
    const limited = hellos.filter((h) => !h.session).map((h) => h.frames.find((f) => f.type === 'error'));
    expect(welcomed.length).toBeGreaterThanOrEqual(1);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    for (const f of limited) {
      expect(f.error.code).toBe('RATE_LIMITED');
      expect(f.error.retryAfterMs).toBeGreaterThan(0);
    }
    // The refused sockets can say hello again once the window passes.
    await sleep(1100);
    const retry = await RawDuplex.open(bus.url);
    expect(retry.session).toBeDefined();
    await Promise.all([...hellos, retry].map((h) => h.close()));
  });

  it('messages past a caller\'s rate get 429 (HTTP) or an error frame (WebSocket); every accepted one has its record', async () => {
    await sleep(1100);
    const answers = await Promise.all(Array.from({ length: 15 }, (_, i) => http(`${bus.url}/itineraries/echo-reply/messages`, { body: { i } })));
    const ok = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    expect(ok.length + refused.length).toBe(15);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(ok.length).toBeLessThanOrEqual(10);
    expect(refused[0]!.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(refused[0]!.headers.get('retry-after')).toBeTruthy();
    for (const a of ok) {
      const record = await http(`${bus.url}/messages/${a.headers.get('itinera-message-id')}`);
      expect(record.status).toBe(200);
      expect(record.body.reply.body).toEqual(a.body);
    }
    await sleep(1100);
    const ws = await RawDuplex.open(bus.url);
    const frames = await Promise.all(Array.from({ length: 12 }, (_, i) => ws.call(`m${i}`, 'calculator', 'AddTo', { n: 1 })));
    const accepted = frames.filter((f) => f.type === 'accepted');
    const errors = frames.filter((f) => f.type === 'error');
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    for (const e of errors) expect(e.error).toMatchObject({ code: 'RATE_LIMITED' });
    expect(errors[0].error.retryAfterMs).toBeGreaterThan(0);
    // Each accepted send ran: one Result callback each, the running total counting only those.
    const results = await Promise.all(accepted.map((_, i) => ws.next((f) => f.type === 'callback' && f.seq === i + 1)));
    expect(results.map((r) => r.body.result)).toEqual(accepted.map((_, i) => i + 1));
    await ws.close();
  });

  it('a record whose reply is huge is kept within its byte budget, the reply replaced by a marker', async () => {
    await sleep(1100);
    const blob = 'y'.repeat(600 * 1024);
    const answer = await http(`${bus.url}/itineraries/echo-reply/messages`, { body: { blob } });
    expect(answer.status).toBe(200);
    expect(answer.body.blob).toHaveLength(blob.length); // the caller still gets its whole reply
    const record = await http(`${bus.url}/messages/${answer.headers.get('itinera-message-id')}`);
    expect(record.status).toBe(200);
    expect(record.body.reply).toEqual({ body: { truncated: true, bytes: Buffer.byteLength(JSON.stringify({ blob })) } });
    expect(record.body.status).toBe('completed');
  });
});
