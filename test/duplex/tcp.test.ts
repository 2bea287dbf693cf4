import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import WebSocket from 'ws';
import { ItineraClient, type CallbackFrame } from '@itinera/client';
import { registryFor } from '@itinera/adapters';
import { RawDuplex, freePort, sleep, startTestBus, waitFor } from '@itinera/testing';
import { RawTcp } from './support/tcp-probe';

const HEARTBEAT_MS = 300;
const TLS_DIR = resolve(__dirname, '../fixtures/tls');

type Bus = Awaited<ReturnType<typeof startTestBus>>;


async function startTcpBus(env: Record<string, string> = {}): Promise<{ bus: Bus; port: number }> {
  const port = await freePort();
  const bus = await startTestBus({ heartbeatMs: HEARTBEAT_MS, env: { ITINERA_TCP_PORT: String(port), ...env } });
  return { bus, port };
}

const callbacks = (frames: any[]) => frames.filter((f) => f.type === 'callback' || f.type === 'fault');

/** The calculator of SAMPLES.md: AddTo 100, SubtractFrom 50, MultiplyBy 3, DivideBy 2, Clear. */
async function runCalculator(c: ItineraClient): Promise<{ results: number[]; equations: string[] }> {
  const calc = { results: [] as number[], equations: [] as string[] };
  c.on('Result', (body: { result: number }) => void calc.results.push(body.result));
  c.on('Equation', (body: { equation: string }) => void calc.equations.push(body.equation));
  for (const [action, n] of [
    ['AddTo', 100],
    ['SubtractFrom', 50],
    ['MultiplyBy', 3],
    ['DivideBy', 2],
  ] as const)
    await c.send('calculator', action, { n });
  await c.send('calculator', 'Clear');
  await waitFor(() => calc.equations.length === 1, 'the equation');
  return calc;
}

describe('duplex over TCP (embedded bus)', () => {
  let bus: Bus;
  let port: number;
  beforeAll(async () => {
    ({ bus, port } = await startTcpBus());
  });
  afterAll(async () => bus?.close());

  it('the calculator over TCP with the client library, as in SAMPLES.md', async () => {
    const c = new ItineraClient({ url: `tcp://127.0.0.1:${port}` });
    const connected = c.nextEvent('connected');
    await c.connect();
    expect(await connected).toMatchObject({ transport: 'tcp', session: c.session });
    const faults: string[] = [];
    c.onFault((e) => void faults.push(e.code));
    const calc = await runCalculator(c);
    expect(calc.results).toEqual([100, 50, 150, 75]);
    expect(calc.equations).toEqual(['0 + 100 - 50 * 3 / 2 = 75']);
    await c.send('calculator', 'DivideBy', { n: 0 });
    await waitFor(() => faults.length === 1, 'the fault');
    expect(faults).toEqual(['DIVIDE_BY_ZERO']);
    await waitFor(async () => (await bus.bus.sessions.get(c.session!))?.ackedSeq === 6, 'acknowledged up to 6');
    // The on-ramp labels its messages `tcp`.
    const metrics = await (await fetch(`${bus.url}/metrics`)).text();
    expect(metrics).toMatch(/itinera_messages_accepted_total\{[^}]*transport="tcp"[^}]*\} [1-9]/);
    await c.close();
  });

  it('the chat: a TCP session and a WebSocket session both get NotifyClient', async () => {
    const ada = new ItineraClient({ url: `tcp://127.0.0.1:${port}`, transport: 'tcp' });
    const bob = new ItineraClient({ url: bus.url, transport: 'websocket', WebSocket });
    const seen = { ada: [] as string[], bob: [] as string[] };
    ada.on('NotifyClient', (body: { text: string }) => void seen.ada.push(body.text));
    bob.on('NotifyClient', (body: { text: string }) => void seen.bob.push(body.text));
    await Promise.all([ada.connect(), bob.connect()]);
    expect([ada.transport, bob.transport]).toEqual(['tcp', 'websocket']);
    await ada.send('chat', 'RegisterClient', { name: 'Ada' });
    await bob.send('chat', 'RegisterClient', { name: 'Bob' });
    await waitFor(() => seen.ada.length === 1 && seen.bob.length === 1, 'both registered');
    expect(seen.ada[0]).toMatch(/^Ada has been registered with clientID: [0-9a-f-]{36}$/);
    await ada.send('chat', 'SendMessage', { text: 'hello over TCP' });
    await bob.send('chat', 'SendMessage', { text: 'hello over WebSocket' });
    await waitFor(() => seen.ada.length === 3 && seen.bob.length === 3, 'both messages to both');
    expect(seen.ada.slice(1).sort()).toEqual(['Ada: hello over TCP', 'Bob: hello over WebSocket']);
    expect(seen.bob.slice(1).sort()).toEqual(['Ada: hello over TCP', 'Bob: hello over WebSocket']);
    await Promise.all([ada.close(), bob.close()]);
  });

  it('a session opened over TCP resumes over WebSocket with lastSeq and gets the rest in order', async () => {
    const t = await RawTcp.open(port);
    const session = t.session!;
    for (const [action, n] of [
      ['AddTo', 1],
      ['AddTo', 2],
      ['AddTo', 3],
      ['AddTo', 4],
    ] as const) {
      t.send({ type: 'send', id: `${action}${n}`, itinerary: 'calculator', action, body: { n } });
      await t.next((f) => f.type === 'accepted' && f.id === `${action}${n}`);
    }
    await waitFor(() => callbacks(t.frames).length === 4, 'four callbacks over TCP');
    expect(callbacks(t.frames).map((f) => [f.seq, f.body.result])).toEqual([
      [1, 1],
      [2, 3],
      [3, 6],
      [4, 10],
    ]);
    // Gone without acknowledging anything; the client had handled up to 2.
    t.destroy();
    const ws = await RawDuplex.open(bus.url, { type: 'hello', session, token: t.token, lastSeq: 2 });
    expect(ws.frames[0]).toMatchObject({ type: 'welcome', session, resumed: true });
    await ws.next((f) => f.type === 'callback' && f.seq === 4);
    ws.send({ type: 'send', id: 'clear', itinerary: 'calculator', action: 'Clear' });
    const eq = await ws.next((f) => f.type === 'callback' && f.seq === 5);
    expect(eq.body).toEqual({ equation: '0 + 1 + 2 + 3 + 4 = 10' });
    expect(callbacks(ws.frames).map((f) => f.seq)).toEqual([3, 4, 5]);
    ws.ws.close();
  });

  it('a session opened over WebSocket resumes over TCP, and the TCP connection replaces the WebSocket', async () => {
    const ws = await RawDuplex.open(bus.url);
    const session = ws.session!;
    ws.send({ type: 'send', id: 'a', itinerary: 'calculator', action: 'AddTo', body: { n: 7 } });
    ws.send({ type: 'send', id: 'b', itinerary: 'calculator', action: 'MultiplyBy', body: { n: 6 } });
    await ws.next((f) => f.type === 'callback' && f.seq === 2);
    const t = await RawTcp.open(port, { type: 'hello', session, token: ws.token, lastSeq: 1 });
    expect(t.frames[0]).toMatchObject({ type: 'welcome', session, resumed: true, heartbeatMs: HEARTBEAT_MS, maxFrameBytes: 1_048_576 });
    const replayed = await t.next((f) => f.type === 'callback');
    expect([replayed.seq, replayed.body]).toEqual([2, { result: 42 }]);
    // The WebSocket of the same session on this node is told it was replaced.
    await ws.next((f) => f.type === 'closing' && f.reason === 'replaced');
    t.send({ type: 'ack', seq: 2 });
    t.send({ type: 'bye' });
    expect(await t.next((f) => f.type === 'close')).toMatchObject({ code: 1000, reason: 'bye' });
    await t.closed();
    await waitFor(async () => !(await bus.bus.sessions.get(session)), 'the session ended by bye');
  });

  describe('hostile input: the server answers or closes with a stated reason, and keeps serving', () => {
    it('a frame arriving byte by byte works', async () => {
      const t = await RawTcp.open(port, false);
      t.socket.setNoDelay(true);
      const bytes = Buffer.concat([frameBytes({ type: 'hello' }), frameBytes({ type: 'send', id: 'slow', itinerary: 'calculator', action: 'AddTo', body: { n: 5 } })]);
      for (const b of bytes) {
        t.write(Buffer.from([b]));
        await sleep(0);
      }
      expect(await t.next((f) => f.type === 'welcome')).toMatchObject({ resumed: false });
      expect(await t.next((f) => f.type === 'accepted')).toMatchObject({ id: 'slow' });
      expect((await t.next((f) => f.type === 'callback')).body).toEqual({ result: 5 });
      t.destroy();
    });

    it('a length prefix above the limit gets FRAME_TOO_LARGE, then the connection is closed', async () => {
      const t = await RawTcp.open(port);
      const prefix = Buffer.alloc(4);
      prefix.writeUInt32BE(0x7fffffff);
      t.write(Buffer.concat([prefix, Buffer.from('{"type":')]));
      const err = await t.next((f) => f.type === 'error');
      expect(err.error.code).toBe('FRAME_TOO_LARGE');
      expect(err.error.message).toContain('1048576');
      expect(await t.next((f) => f.type === 'close')).toMatchObject({ code: 1009, reason: 'frame too large' });
      await t.closed();
      // The session lives on: it can be resumed.
      const again = await RawTcp.open(port, { type: 'hello', session: t.session, token: t.token });
      expect(again.frames[0]).toMatchObject({ type: 'welcome', resumed: true });
      again.destroy();
    });

    it('a sender that stops in the middle of a frame is closed with REQUEST_TIMEOUT', async () => {
      const t = await RawTcp.open(port);
      const frame = frameBytes({ type: 'send', id: 'x', itinerary: 'calculator', action: 'AddTo', body: { n: 1 } });
      t.write(frame.subarray(0, 12));
      const err = await t.next((f) => f.type === 'error');
      expect(err.error.code).toBe('REQUEST_TIMEOUT');
      expect(err.error.message).toMatch(/not complete/);
      expect(await t.next((f) => f.type === 'close')).toMatchObject({ code: 1008, reason: 'frame not completed in time' });
      await t.closed();
      expect(t.frames.some((f) => f.type === 'accepted')).toBe(false);
    });

    it('a client that vanishes is dropped after two silent heartbeats; its session stays resumable', async () => {
      const t = await RawTcp.open(port);
      const registry = registryFor(bus.bus.sessions);
      expect(registry.has(t.session!)).toBe(true);
      // Silent from here on: no pings, no frames (a peer gone without a FIN looks the same to the server).
      await t.closed(10 * HEARTBEAT_MS);
      await waitFor(() => !registry.has(t.session!), 'the connection released');
      const again = await RawTcp.open(port, { type: 'hello', session: t.session, token: t.token });
      expect(again.frames[0]).toMatchObject({ type: 'welcome', session: t.session, resumed: true });
      // Pinging keeps a connection that sends nothing else alive.
      for (let i = 0; i < 8; i++) {
        again.send({ type: 'ping' });
        await sleep(HEARTBEAT_MS / 2);
      }
      expect(again.isClosed).toBe(false);
      expect(again.frames.filter((f) => f.type === 'pong').length).toBe(8);
      again.destroy();
    });

    it('non-JSON and zero-length payloads get INVALID_JSON and the connection stays', async () => {
      const t = await RawTcp.open(port);
      t.send('not json at all');
      expect((await t.next((f) => f.type === 'error')).error.code).toBe('INVALID_JSON');
      t.write(Buffer.alloc(4));
      expect((await t.next((f) => f.type === 'error')).error.code).toBe('INVALID_JSON');
      t.send({ type: 'nope' });
      expect((await t.next((f) => f.type === 'error')).error.code).toBe('UNKNOWN_FRAME_TYPE');
      t.send({ type: 'ping' });
      await t.next((f) => f.type === 'pong');
      expect(t.isClosed).toBe(false);
      t.destroy();
    });

    it('ten bad frames in a row close the connection (code 1007)', async () => {
      const t = await RawTcp.open(port);
      t.write(Buffer.concat(Array.from({ length: 12 }, (_, i) => frameBytes(`{bad ${i}`))));
      expect(await t.next((f) => f.type === 'close')).toMatchObject({ code: 1007, reason: '10 bad frames in a row' });
      await t.closed();
      expect(t.frames.filter((f) => f.type === 'error')).toHaveLength(10);
    });

    it('a connection that never says hello gets HELLO_REQUIRED and is closed', async () => {
      const t = await RawTcp.open(port, false);
      expect((await t.next((f) => f.type === 'error')).error.code).toBe('HELLO_REQUIRED');
      expect(await t.next((f) => f.type === 'close')).toMatchObject({ code: 1008 });
      await t.closed();
    });

    it('after all of it the server serves a fresh client', async () => {
      const c = new ItineraClient({ url: `tcp://127.0.0.1:${port}` });
      await c.connect();
      const calc = await runCalculator(c);
      expect(calc.equations).toEqual(['0 + 100 - 50 * 3 / 2 = 75']);
      await c.close();
    });
  });
});

describe('TCP duplex: TLS and shutdown', () => {
  it('speaks TLS with ITINERA_TCP_TLS_CERT/KEY; the client connects with tls://', async () => {
    const { bus, port } = await startTcpBus({
      ITINERA_TCP_TLS_CERT: resolve(TLS_DIR, 'tcp-test.crt'),
      ITINERA_TCP_TLS_KEY: resolve(TLS_DIR, 'tcp-test.key'),
    });
    try {
      const c = new ItineraClient({ url: `tls://127.0.0.1:${port}`, tls: { ca: readFileSync(resolve(TLS_DIR, 'tcp-test.crt')) } });
      const got: CallbackFrame[] = [];
      c.onCallback((_body, f) => void got.push(f));
      await c.connect();
      await c.send('calculator', 'AddTo', { n: 9 });
      await waitFor(() => got.length === 1, 'a callback over TLS');
      expect(got[0]!.body).toEqual({ result: 9 });
      await c.close();
      // Plain TCP to a TLS port gets no frames, and no crash.
      const plain = await RawTcp.open(port, false);
      plain.send({ type: 'hello' });
      await plain.closed(10 * HEARTBEAT_MS);
      expect(plain.frames).toEqual([]);
    } finally {
      await bus.close();
    }
  });

  it('on shutdown a connection gets closing shutdown with retryAfterMs, then the close frame, then the end', async () => {
    const { bus, port } = await startTcpBus();
    const t = await RawTcp.open(port);
    await bus.close();
    expect(await t.next((f) => f.type === 'closing')).toMatchObject({ reason: 'shutdown', retryAfterMs: expect.any(Number) });
    expect(await t.next((f) => f.type === 'close')).toMatchObject({ code: 1001 });
    await t.closed();
  });
});

describe('the TCP link stays out of the browser bundle', () => {
  it('bundling the browser entry (libs/client/src/browser.ts) leaves out the TCP link and Node modules', async () => {
    const esbuild = await import('esbuild');
    const entry = resolve(__dirname, '../../libs/client/src/browser.ts');
    const out = await esbuild.build({ entryPoints: [entry], bundle: true, write: false, format: 'iife', platform: 'browser', logLevel: 'silent' });
    const code = out.outputFiles[0]!.text;
    expect(code).toContain('itinera.v1');
    expect(code).not.toMatch(/TcpLink|node:net|node:tls|tcp:\/\//);
  });
});

function frameBytes(frame: unknown): Buffer {
  const text = Buffer.from(typeof frame === 'string' ? frame : JSON.stringify(frame));
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(text.length);
  return Buffer.concat([prefix, text]);
}
