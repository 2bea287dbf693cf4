import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { ItineraClient, ItineraClientError, type CallbackFrame } from '@itinera/client';
import { MemorySessionStore } from '@itinera/sessions';
import { sleep, waitFor } from '../support/ports';
import { startDuplexServer, type DuplexTestServer } from './support/server';
import { request } from './support/poll-probe';

type Transport = 'websocket' | 'long-polling';

function client(url: string, transport: Transport | 'auto', extra: Partial<ConstructorParameters<typeof ItineraClient>[0]> = {}): ItineraClient {
  return new ItineraClient({ url, transport, WebSocket, reconnect: { minDelayMs: 20, maxDelayMs: 200 }, ...extra });
}

/** A calculator callback contract, as WCF's CallbackHandler. */
class CalculatorCallbacks {
  results: number[] = [];
  equations: string[] = [];
  Result(body: { result: number }) {
    this.results.push(body.result);
  }
  Equation(body: { equation: string }) {
    this.equations.push(body.equation);
  }
}

describe.each<Transport>(['websocket', 'long-polling'])('ItineraClient over %s', (transport) => {
  let srv: DuplexTestServer;
  beforeAll(async () => {
    srv = await startDuplexServer({ options: { pollTimeoutMs: 500 } });
  });
  afterAll(async () => srv.close());

  it('sends, gets accepted frames and callbacks through a bound contract, faults through onFault', async () => {
    const c = client(srv.url, transport);
    const calc = new CalculatorCallbacks();
    c.bind(calc);
    const faults: string[] = [];
    c.onFault((e) => void faults.push(e.code));
    const connected = c.nextEvent('connected');
    await c.connect();
    expect(await connected).toMatchObject({ session: c.session, transport });
    expect(c.transport).toBe(transport);

    const a = await c.send('calculator', 'AddTo', { n: 100 });
    expect(a).toMatchObject({ type: 'accepted', messageId: expect.any(String), correlationId: expect.any(String) });
    await c.send('calculator', 'SubtractFrom', { n: 50 });
    await c.send('calculator', 'MultiplyBy', { n: 3 });
    await c.send('calculator', 'DivideBy', { n: 2 });
    await c.send('calculator', 'DivideBy', { n: 0 });
    await c.send('calculator', 'Clear');
    await waitFor(() => calc.equations.length === 1, 'the equation');
    expect(calc.results).toEqual([100, 50, 150, 75]);
    expect(calc.equations).toEqual(['0 + 100 - 50 * 3 / 2 = 75']);
    expect(faults).toEqual(['DIVIDE_BY_ZERO']);
    expect(c.lastSeq).toBe(6);
    // Acknowledged (WebSocket: batched ack; long polling: the next poll's after).
    await waitFor(async () => (await srv.sessions.get(c.session!))?.ackedSeq === 6, 'acknowledged up to 6');

    const reply = await c.send('echo', 'Reply', { q: 1 });
    expect(reply.reply).toEqual({ echoed: { q: 1 } });
    await c.close();
  });

  it('a refused send rejects with an ItineraClientError carrying the code', async () => {
    const c = client(srv.url, transport);
    await c.connect();
    const err = await c.send('nope', 'Hi', {}).catch((e) => e);
    expect(err).toBeInstanceOf(ItineraClientError);
    expect(err.code).toBe('ITINERARY_NOT_FOUND');
    const v = await c.send('echo', 'Hi', {}, { version: '7.0.0' }).catch((e) => e);
    expect(v.code).toBe('ITINERARY_NOT_FOUND');
    // Still connected and usable.
    expect((await c.send('echo', 'Hi', {})).type).toBe('accepted');
    await c.close();
  });

  it('on(action) and onCallback see callbacks; close() ends the session for good', async () => {
    const c = client(srv.url, transport);
    const echoes: unknown[] = [];
    const all: CallbackFrame[] = [];
    c.on('Echo', (body) => void echoes.push(body));
    c.onCallback((_b, f) => void all.push(f));
    await c.connect();
    await c.send('echo', 'Hi', { n: 1 });
    await waitFor(() => echoes.length === 1, 'the echo');
    expect(echoes).toEqual([{ n: 1 }]);
    expect(all[0]).toMatchObject({ seq: 1, action: 'Echo' });
    const { session, token } = c.resumeInfo!;
    await c.close();
    expect(c.state).toBe('closed');
    await waitFor(async () => !(await srv.sessions.get(session)), 'the session ended');
    expect((await request(`${srv.url}/duplex/sessions/${session}`, { token })).status).toBe(404);
    await expect(c.send('echo', 'Hi', {})).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  });

  it('close({ end: false }) keeps the session; another client resumes it and gets what is pending', async () => {
    const c = client(srv.url, transport);
    await c.connect();
    await c.send('echo', 'Hi', { first: true });
    await waitFor(() => c.lastSeq === 1, 'the first echo');
    const info = c.resumeInfo!;
    await c.close({ end: false });
    await srv.gateway.push(info.session, 'WhileAway', { n: 2 });
    const other = client(srv.url, transport, { resume: info });
    const got: unknown[] = [];
    other.on('WhileAway', (b) => void got.push(b));
    const resumed = other.nextEvent('resumed');
    await other.connect();
    expect(await resumed).toMatchObject({ session: info.session, lastSeq: 1 });
    await waitFor(() => got.length === 1, 'the callback sent while away');
    expect(other.lastSeq).toBe(2);
    await other.close();
  });
});

describe('ItineraClient: auto, reconnect, resume', () => {
  it('auto uses a WebSocket when the server has one', async () => {
    const srv = await startDuplexServer();
    const c = client(srv.url, 'auto');
    await c.connect();
    expect(c.transport).toBe('websocket');
    await c.close();
    await srv.close();
  });

  it('auto falls back to long polling when the server has no WebSocket upgrade', async () => {
    const srv = await startDuplexServer({ ws: false, options: { pollTimeoutMs: 500 } });
    const c = client(srv.url, 'auto');
    const fallback = c.nextEvent('fallback');
    await c.connect();
    expect(await fallback).toMatchObject({ from: 'websocket', to: 'long-polling' });
    expect(c.transport).toBe('long-polling');
    const results: number[] = [];
    c.on('Result', (b) => void results.push(b.result));
    await c.send('calculator', 'AddTo', { n: 4 });
    await waitFor(() => results.length === 1, 'a result');
    expect(results).toEqual([4]);
    await c.close();
    await srv.close();
  });

  it('auto without a WebSocket constructor (Node 20) goes straight to long polling', async () => {
    const g = globalThis as { WebSocket?: unknown };
    const saved = g.WebSocket;
    delete g.WebSocket; // Node 22+ has one
    const srv = await startDuplexServer({ options: { pollTimeoutMs: 500 } });
    try {
      const c = new ItineraClient({ url: srv.url });
      await c.connect();
      expect(c.transport).toBe('long-polling');
      await c.close();
    } finally {
      if (saved !== undefined) g.WebSocket = saved;
      await srv.close();
    }
  });

  it('on shutdown: closing with retryAfterMs, then the client reconnects and resumes by itself; sends made meanwhile wait', async () => {
    const sessions = new MemorySessionStore();
    const first = await startDuplexServer({ sessions });
    const port = Number(new URL(first.url).port);
    const c = client(first.url, 'websocket');
    const results: number[] = [];
    c.on('Result', (b) => void results.push(b.result));
    await c.connect();
    await c.send('calculator', 'AddTo', { n: 10 });
    await waitFor(() => results.length === 1, 'first result');
    const session = c.session;

    const closing = c.nextEvent('closing');
    const disconnected = c.nextEvent('disconnected');
    await first.close(300);
    expect(await closing).toEqual({ reason: 'shutdown', retryAfterMs: 300 });
    expect(await disconnected).toMatchObject({ reason: 'shutdown', willReconnect: true });
    expect(c.state).toBe('reconnecting');
    // Produced while no node serves the session; and a send made while reconnecting.
    await first.gateway.push(session!, 'Result', { result: -1 });
    const later = c.send('calculator', 'AddTo', { n: 5 });

    const second = await startDuplexServer({ sessions, port });
    const resumed = await c.nextEvent('resumed', 10_000);
    expect(resumed).toMatchObject({ session, transport: 'websocket', lastSeq: 1 });
    expect((await later).type).toBe('accepted');
    await waitFor(() => results.length === 3, 'the pushed and the new result');
    expect(results).toEqual([10, -1, 15]);
    await c.close();
    await second.close();
  });

  it('an unexpected drop reconnects and resumes with lastSeq (no frame twice, none lost)', async () => {
    const srv = await startDuplexServer();
    const sockets: Socket[] = [];
    srv.app.server.on('upgrade', (_req, socket: Socket) => sockets.push(socket));
    const c = client(srv.url, 'websocket');
    const seen: number[] = [];
    c.on('N', (b) => void seen.push(b.i));
    await c.connect();
    for (let i = 1; i <= 3; i++) await srv.gateway.push(c.session!, 'N', { i });
    await waitFor(() => seen.length === 3, 'three frames');
    const resumed = c.nextEvent('resumed');
    sockets.forEach((s) => s.destroy());
    await srv.gateway.push(c.session!, 'N', { i: 4 });
    await resumed;
    await srv.gateway.push(c.session!, 'N', { i: 5 });
    await waitFor(() => seen.length >= 5, 'five frames');
    await sleep(50);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    await c.close();
    await srv.close();
  });

  it('switchTransport moves the session WebSocket → long polling → WebSocket, one sequence', async () => {
    const srv = await startDuplexServer({ options: { pollTimeoutMs: 500 } });
    const c = client(srv.url, 'websocket');
    const calc = new CalculatorCallbacks();
    c.bind(calc);
    await c.connect();
    const session = c.session;
    await c.send('calculator', 'AddTo', { n: 1 });
    await waitFor(() => calc.results.length === 1, 'r1');
    await c.switchTransport('long-polling');
    expect(c.transport).toBe('long-polling');
    expect(c.session).toBe(session);
    await c.send('calculator', 'AddTo', { n: 2 });
    await waitFor(() => calc.results.length === 2, 'r2');
    await c.switchTransport('websocket');
    expect(c.transport).toBe('websocket');
    await c.send('calculator', 'Clear');
    await waitFor(() => calc.equations.length === 1, 'eq');
    expect(calc.results).toEqual([1, 3]);
    expect(calc.equations).toEqual(['0 + 1 + 2 = 3']);
    expect(c.lastSeq).toBe(3);
    expect(srv.gateway.accepted.filter((m) => m.session === session).map((m) => m.transport)).toEqual(['ws', 'poll', 'ws']);
    await c.close();
    await srv.close();
  });

  it('an expired session: the client says so and starts a new one', async () => {
    let now = 5_000_000;
    const srv = await startDuplexServer({ ttlMs: 1000, now: () => now });
    const c = client(srv.url, 'websocket');
    await c.connect();
    const old = c.session;
    const expired = c.nextEvent('expired');
    const connected = c.nextEvent('connected');
    now += 5000;
    const { startSessionSweeper } = await import('@itinera/adapters');
    const { silentLogger } = await import('@itinera/core');
    const sweeper = startSessionSweeper({ sessions: srv.sessions, logger: silentLogger, everyMs: 60_000, now: () => now });
    await sweeper.sweep();
    await sweeper.stop();
    expect(await expired).toEqual({ session: old });
    const fresh = await connected;
    expect(fresh.session).not.toBe(old);
    expect(c.lastSeq).toBe(0);
    await c.close();
    await srv.close();
  });

  it('a session taken over by another connection is not reconnected (replaced)', async () => {
    const srv = await startDuplexServer();
    const a = client(srv.url, 'websocket');
    await a.connect();
    const disconnected = a.nextEvent('disconnected');
    const b = client(srv.url, 'websocket', { resume: a.resumeInfo });
    await b.connect();
    expect(await disconnected).toMatchObject({ reason: 'replaced', willReconnect: false });
    expect(a.state).toBe('closed');
    await sleep(100);
    expect(b.state).toBe('connected');
    await b.close();
    await srv.close();
  });

  it('50 concurrent sessions over both transports each see exactly their own results', async () => {
    const srv = await startDuplexServer({ options: { pollTimeoutMs: 1000 } });
    const runs = Array.from({ length: 50 }, async (_, k) => {
      const c = client(srv.url, k % 2 === 0 ? 'websocket' : 'long-polling');
      const calc = new CalculatorCallbacks();
      c.bind(calc);
      await c.connect();
      const ops: [string, number][] = [
        ['AddTo', k + 1],
        ['MultiplyBy', 2],
        ['SubtractFrom', k],
        ['AddTo', 1000],
      ];
      await Promise.all(ops.map(([action, n]) => c.send('calculator', action, { n })));
      await c.send('calculator', 'Clear');
      await waitFor(() => calc.equations.length === 1, `equation of client ${k}`, 20_000);
      await c.close();
      return { k, calc };
    });
    for (const { k, calc } of await Promise.all(runs)) {
      const r1 = k + 1;
      const r2 = r1 * 2;
      const r3 = r2 - k;
      const r4 = r3 + 1000;
      expect(calc.results).toEqual([r1, r2, r3, r4]);
      expect(calc.equations).toEqual([`0 + ${k + 1} * 2 - ${k} + 1000 = ${r4}`]);
    }
    await srv.close();
  });
});
