import { afterEach, describe, expect, it } from 'vitest';
import { ItineraClient } from './client';

/** A scripted server behind a WebSocket-shaped object. */
class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  protocol = '';
  sent: any[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  /** Answer sends with accepted (default) or leave them unanswered. */
  answerSends = true;

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeSocket.all.push(this);
    setTimeout(() => {
      this.readyState = 1;
      this.protocol = 'itinera.v1';
      this.onopen?.({});
    }, 1);
  }

  static get last(): FakeSocket {
    return FakeSocket.all[FakeSocket.all.length - 1]!;
  }

  send(data: string): void {
    const f = JSON.parse(data);
    this.sent.push(f);
    if (f.type === 'hello') {
      setTimeout(
        () =>
          this.deliver({
            type: 'welcome',
            session: f.session ?? 'S',
            token: f.token ?? 'T',
            resumed: Boolean(f.session),
            heartbeatMs: 60_000,
            inactivityTimeoutMs: 600_000,
            maxFrameBytes: 1000,
          }),
        1,
      );
    } else if (f.type === 'send' && this.answerSends) {
      this.deliver({ type: 'accepted', id: f.id, messageId: `m-${f.id}`, correlationId: `k-${f.id}` });
    } else if (f.type === 'bye') {
      this.drop(1000);
    }
  }

  deliver(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  close(code = 1000): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    setTimeout(() => this.onclose?.({ code, reason: '' }), 1);
  }

  /** The server closes (or the network drops) the socket. */
  drop(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }

  acks(): number[] {
    return this.sent.filter((f) => f.type === 'ack').map((f) => f.seq);
  }
}

const cb = (seq: number, action = 'Result', body: unknown = { result: seq }) => ({ type: 'callback', seq, action, correlationId: 'k', body });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function make(extra: Record<string, unknown> = {}): ItineraClient {
  return new ItineraClient({
    url: 'http://bus.test',
    transport: 'websocket',
    WebSocket: FakeSocket,
    reconnect: { minDelayMs: 5, maxDelayMs: 20 },
    ackDelayMs: 10,
    ...extra,
  });
}

afterEach(() => {
  FakeSocket.all = [];
});

describe('ItineraClient (scripted WebSocket)', () => {
  it('opens /duplex with the itinera.v1 subprotocol and says hello', async () => {
    const c = make();
    await c.connect();
    expect(FakeSocket.last.url).toBe('ws://bus.test/duplex');
    expect(FakeSocket.last.protocols).toBe('itinera.v1');
    expect(FakeSocket.last.sent[0]).toEqual({ type: 'hello' });
    expect(c.session).toBe('S');
    await c.close();
    expect(FakeSocket.last.sent.at(-1)).toEqual({ type: 'bye' });
  });

  it('drops frames whose seq it has seen, handles in order, and acknowledges in one batch', async () => {
    const c = make();
    const got: number[] = [];
    c.on('Result', (b) => void got.push(b.result));
    await c.connect();
    const s = FakeSocket.last;
    for (const seq of [1, 2, 1, 2, 3]) s.deliver(cb(seq));
    await sleep(40);
    expect(got).toEqual([1, 2, 3]);
    expect(c.lastSeq).toBe(3);
    expect(s.acks()).toEqual([3]);
    await c.close();
  });

  it('a handler that throws is reported; the frame counts as handled and the next ones run', async () => {
    const c = make();
    const errors: unknown[] = [];
    c.onEvent('error', (e) => void errors.push(e.error));
    const got: number[] = [];
    c.on('Result', (b) => {
      if (b.result === 1) throw new Error('handler bug');
      got.push(b.result);
    });
    await c.connect();
    FakeSocket.last.deliver(cb(1));
    FakeSocket.last.deliver(cb(2));
    await sleep(30);
    expect(got).toEqual([2]);
    expect((errors[0] as Error).message).toBe('handler bug');
    expect(c.lastSeq).toBe(2);
    await c.close();
  });

  it('bind: class instances and plain objects; faults go to onFault; unbind stops', async () => {
    class Handler {
      seen: string[] = [];
      Result(b: { result: number }) {
        this.seen.push(`r${b.result}`);
      }
      Equation(b: { equation: string }) {
        this.seen.push(b.equation);
      }
    }
    const h = new Handler();
    const c = make();
    const off = c.bind(h);
    const plain: string[] = [];
    c.bind({ NotifyClient: (b: { text: string }) => plain.push(b.text) });
    const faults: string[] = [];
    c.onFault((e, f) => void faults.push(`${e.code}@${f.seq}`));
    await c.connect();
    const s = FakeSocket.last;
    s.deliver(cb(1));
    s.deliver(cb(2, 'Equation', { equation: '0 + 1 = 1' }));
    s.deliver(cb(3, 'NotifyClient', { text: 'hi' }));
    s.deliver({ type: 'fault', seq: 4, correlationId: 'k', error: { code: 'DIVIDE_BY_ZERO', message: 'no' } });
    await sleep(20);
    off();
    s.deliver(cb(5));
    await sleep(20);
    expect(h.seen).toEqual(['r1', '0 + 1 = 1']);
    expect(plain).toEqual(['hi']);
    expect(faults).toEqual(['DIVIDE_BY_ZERO@4']);
    await c.close();
  });

  it('sends made before connect wait for the connection; a too large one is refused locally', async () => {
    const c = make();
    const early = c.send('calculator', 'AddTo', { n: 1 });
    await c.connect();
    expect(await early).toMatchObject({ type: 'accepted', messageId: expect.stringMatching(/^m-/) });
    const sent = FakeSocket.last.sent.find((f) => f.type === 'send');
    expect(sent).toMatchObject({ itinerary: 'calculator', action: 'AddTo', body: { n: 1 } });
    await expect(c.send('calculator', 'AddTo', { s: 'x'.repeat(2000) })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    await c.close();
  });

  it('a drop rejects the unanswered send with CONNECTION_LOST, then resumes with session, token and lastSeq', async () => {
    const c = make();
    await c.connect();
    const first = FakeSocket.last;
    first.deliver(cb(1));
    first.deliver(cb(2));
    await sleep(20);
    first.answerSends = false;
    const pending = c.send('calculator', 'AddTo', { n: 1 });
    await sleep(5);
    const disconnected = c.nextEvent('disconnected');
    const resumed = c.nextEvent('resumed');
    first.drop(1006);
    await expect(pending).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
    expect(await disconnected).toMatchObject({ reason: 'lost', code: 1006, willReconnect: true });
    expect(await resumed).toEqual({ session: 'S', transport: 'websocket', lastSeq: 2 });
    expect(FakeSocket.last).not.toBe(first);
    expect(FakeSocket.last.sent[0]).toEqual({ type: 'hello', session: 'S', token: 'T', lastSeq: 2 });
    // Sends made while reconnecting go out on the new socket.
    expect((await c.send('calculator', 'AddTo', { n: 2 })).type).toBe('accepted');
    await c.close();
  });

  it('closing shutdown: waits retryAfterMs then resumes; closing replaced: stays closed', async () => {
    const c = make();
    await c.connect();
    const closing = c.nextEvent('closing');
    const resumed = c.nextEvent('resumed');
    FakeSocket.last.deliver({ type: 'closing', reason: 'shutdown', retryAfterMs: 30 });
    FakeSocket.last.drop(1001);
    expect(await closing).toEqual({ reason: 'shutdown', retryAfterMs: 30 });
    await resumed;
    const closed = c.nextEvent('closed');
    FakeSocket.last.deliver({ type: 'closing', reason: 'replaced' });
    FakeSocket.last.drop(4002);
    expect(await closed).toEqual({ reason: 'replaced' });
    expect(c.state).toBe('closed');
    const sockets = FakeSocket.all.length;
    await sleep(50);
    expect(FakeSocket.all.length).toBe(sockets);
    await expect(c.send('x', 'y')).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  });

  it('a session the server no longer knows: expired event, then a new session', async () => {
    const c = make({ resume: { session: 'OLD', token: 'T0', lastSeq: 7 } });
    // The scripted server refuses the resume once.
    const origSend = FakeSocket.prototype.send;
    FakeSocket.prototype.send = function (this: FakeSocket, data: string) {
      const f = JSON.parse(data);
      if (f.type === 'hello' && f.session === 'OLD') {
        this.sent.push(f);
        setTimeout(() => this.deliver({ type: 'error', error: { code: 'SESSION_NOT_FOUND', message: 'gone' } }), 1);
        return;
      }
      origSend.call(this, data);
    };
    try {
      const expired = c.nextEvent('expired');
      const connected = c.nextEvent('connected');
      await c.connect();
      expect(await expired).toEqual({ session: 'OLD' });
      expect(await connected).toMatchObject({ session: 'S' });
      expect(c.lastSeq).toBe(0);
    } finally {
      FakeSocket.prototype.send = origSend;
    }
    await c.close();
  });

  it('without any WebSocket constructor, transport websocket fails clearly', async () => {
    const g = globalThis as { WebSocket?: unknown };
    const saved = g.WebSocket;
    delete g.WebSocket; // Node 22+ has one
    try {
      const c = new ItineraClient({ url: 'http://bus.test', transport: 'websocket' });
      await expect(c.connect()).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
    } finally {
      if (saved !== undefined) g.WebSocket = saved;
    }
  });
});
