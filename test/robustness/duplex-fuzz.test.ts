import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { RawDuplex, http, waitFor } from '@itinera/testing';
import {
  CalculatorClient,
  expectAlive,
  expectErrorFrame,
  expectNoPollution,
  expectReadable,
  nestedArrays,
  portOf,
  prng,
  rawExchange,
  startProbeBus,
} from './support';
import { RawWebSocket, wsFrame } from './raw-ws';

/**
 * The WebSocket duplex on-ramp under bad frames: each gets an error frame with a stable
 * code (never INTERNAL), an error frame means nothing ran, and neither the process nor
 * a well-behaved client beside it notices.
 */
describe('WebSocket duplex robustness', () => {
  let bus: Awaited<ReturnType<typeof startProbeBus>>;
  let calc: CalculatorClient;

  beforeAll(async () => {
    bus = await startProbeBus();
    calc = await CalculatorClient.open(bus.url);
  });
  afterAll(async () => {
    await calc?.close();
    await bus?.stop();
  });

  /** Send `frame` (text, or binary when a Buffer), expect an error frame, then prove the connection still works (ping → pong resets the bad-frame streak). */
  async function refused(c: RawDuplex, frame: unknown, context: string, codes?: string[]): Promise<any> {
    const before = c.frames.length;
    if (Buffer.isBuffer(frame)) c.ws.send(frame, { binary: true });
    else c.send(frame);
    const error = await c.next((f) => f.type === 'error' && c.frames.indexOf(f) >= before);
    expectErrorFrame(error, context);
    if (codes) expect(codes, `${context}: ${JSON.stringify(error)}`).toContain(error.error.code);
    c.send({ type: 'ping' });
    await c.next((f) => f.type === 'pong' && c.frames.indexOf(f) >= before);
    return error;
  }

  it('wrong types for every field of send, ack and hello get error frames, and nothing runs', async () => {
    const c = await RawDuplex.open(bus.url);
    const send = { type: 'send', id: 'x1', itinerary: 'calculator', action: 'AddTo', body: { n: 1000 } };
    const BAD = ['BAD_FRAME'];
    const badSends: [Record<string, unknown>, string[]][] = [
      ...[{}, [], 5, '', 'x'.repeat(201), null, true].map((id) => [{ ...send, id }, BAD] as [Record<string, unknown>, string[]]),
      ...[5, null, {}, '', [], ['calculator']].map((itinerary) => [{ ...send, itinerary }, BAD] as [Record<string, unknown>, string[]]),
      ...[5, '', {}, null, ['1.0.0']].map((version) => [{ ...send, version }, BAD] as [Record<string, unknown>, string[]]),
      ...[[], '', 5, null, { AddTo: 1 }].map((action) => [{ ...send, action }, BAD] as [Record<string, unknown>, string[]]),
      [{ ...send, itinerary: 'nope' }, ['ITINERARY_NOT_FOUND']],
      [{ ...send, version: '9.9.9' }, ['ITINERARY_NOT_FOUND']],
      [{ ...send, version: '../../x' }, ['ITINERARY_NOT_FOUND']],
      [{ ...send, action: 'Nope' }, ['UNKNOWN_ACTION']],
      [{ ...send, action: '__proto__' }, ['UNKNOWN_ACTION']],
      [{ ...send, action: 'constructor' }, ['UNKNOWN_ACTION']],
      [{ ...send, body: { n: 'many' } }, ['VALIDATION_FAILED']],
      [{ ...send, body: null }, ['VALIDATION_FAILED']],
      [{ ...send, body: [1000] }, ['VALIDATION_FAILED']],
      [{ ...send, itinerary: 'order-fulfilment' }, ['FORBIDDEN']],
    ];
    for (const [frame, codes] of badSends) await refused(c, frame, `send ${JSON.stringify(frame).slice(0, 120)}`, codes);
    // Texts JSON.stringify cannot produce.
    for (const text of [
      '{"type":"send","id":"x2","itinerary":"calculator","action":"AddTo","body":{"n":1e400}}',
      `{"type":"send","id":"x3","itinerary":"calculator","action":"AddTo","body":{"n":1000,"x":${nestedArrays(100_000)}}}`,
      '{"type":"send","id":"x4","itinerary":"calculator","action":"AddTo","body":{"n":NaN}}',
      '{"type":"send","id":"x5","itinerary":"calculator","action":"AddTo","body":{"n":1000},}',
    ]) {
      await refused(c, text, text.slice(0, 100), ['BAD_REQUEST', 'INVALID_JSON']);
    }
    for (const seq of ['"1"', '-1', '1.5', '1e400', 'null', '{}', '[]', String(2 ** 53), 'true']) {
      await refused(c, `{"type":"ack","seq":${seq}}`, `ack seq=${seq}`, BAD);
    }
    await refused(c, { type: 'ack' }, 'ack without seq', BAD);
    await refused(c, { type: 'hello' }, 'second hello', BAD);
    for (const type of [5, null, 'HELLO', 'Send', '__proto__', 'constructor', 'toString', '', 'x'.repeat(5000)]) {
      await refused(c, { type, id: 'x6' }, `type=${String(type).slice(0, 20)}`, ['BAD_FRAME', 'UNKNOWN_FRAME_TYPE']);
    }
    for (const text of ['null', '[]', '"send"', '5', '', '{', 'NaN', '\u0000', '{"type":"ping"}{"type":"ping"}', '{"__proto__":{"type":"ping"}}']) {
      await refused(c, text, `text ${JSON.stringify(text)}`, ['INVALID_JSON', 'BAD_FRAME']);
    }
    await refused(c, Buffer.from('{"type":"ping"}'), 'binary frame', ['UNSUPPORTED_FRAME']);

    // A safe but huge ack is clamped to what was sent: later callbacks still arrive.
    c.send({ type: 'ack', seq: Number.MAX_SAFE_INTEGER });
    // None of the refused sends ran: the session's total starts from zero.
    const ok = await c.call('ok-1', 'calculator', 'AddTo', { n: 1 });
    expect(ok.type).toBe('accepted');
    const cb = await c.next((f) => f.type === 'callback' && f.correlationId === ok.correlationId);
    expect(cb.body).toEqual({ result: 1 });
    expect(c.callbacks()).toHaveLength(1);
    expectNoPollution('field types');
    await c.close();
    await expectAlive(bus.url, 'field types');
    await calc.add(1, 'after field types');
  });

  it('bad hello frames (and frames before hello) are refused; a good hello still works after them', async () => {
    const owner = await RawDuplex.open(bus.url);
    const c = await RawDuplex.open(bus.url, null as never);
    const BAD = ['BAD_FRAME'];
    const cases: [unknown, string[]][] = [
      [{ type: 'send', id: 'e1', itinerary: 'calculator', action: 'AddTo', body: { n: 1 } }, ['HELLO_REQUIRED']],
      [{ type: 'ack', seq: 1 }, ['HELLO_REQUIRED']],
      [{ type: 'hello', session: 5 }, BAD],
      [{ type: 'hello', session: '' }, BAD],
      [{ type: 'hello', session: {} }, BAD],
      [{ type: 'hello', session: owner.session, token: 5 }, BAD],
      [{ type: 'hello', token: 'x' }, BAD],
      [{ type: 'hello', lastSeq: 1 }, BAD],
      ...['"1"', '-1', '1.5', '1e400', 'null', String(2 ** 53)].map(
        (s) => [`{"type":"hello","session":"${owner.session}","token":"${owner.token}","lastSeq":${s}}`, BAD] as [unknown, string[]],
      ),
      [{ type: 'hello', session: 'no-such-session', token: 'x' }, ['SESSION_NOT_FOUND']],
      [{ type: 'hello', session: owner.session, token: 'wrong' }, ['UNAUTHORIZED']],
      [{ type: 'hello', session: owner.session }, ['UNAUTHORIZED']],
      [{ type: 'hello', session: '../../' + owner.session, token: owner.token }, ['SESSION_NOT_FOUND']],
    ];
    const expectError = async (frame: unknown, codes: string[]): Promise<void> => {
      const before = c.frames.length;
      c.send(frame);
      const error = await c.next((f) => f.type === 'error' && c.frames.indexOf(f) >= before);
      expectErrorFrame(error, `before hello: ${JSON.stringify(frame)}`);
      expect(codes, JSON.stringify(error)).toContain(error.error.code);
    };
    for (const [frame, codes] of cases) {
      await expectError(frame, codes);
      // A well-formed hello (that fails to authenticate) ends the bad-frame streak, so the socket stays open for the next case.
      await expectError({ type: 'hello', session: 'no-such-session', token: 'x' }, ['SESSION_NOT_FOUND']);
    }
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    // A good hello still works on that connection.
    c.send({ type: 'hello' });
    expect(await c.next((f) => f.type === 'welcome')).toMatchObject({ resumed: false });
    const fresh = await RawDuplex.open(bus.url);
    expect(fresh.session).toBeTruthy();
    // A resume with a lastSeq beyond what was sent is clamped, not trusted.
    const resumed = await RawDuplex.open(bus.url, { type: 'hello', session: fresh.session, token: fresh.token, lastSeq: Number.MAX_SAFE_INTEGER });
    expect(resumed.frames[0]).toMatchObject({ type: 'welcome', resumed: true });
    const ok = await resumed.call('r1', 'calculator', 'AddTo', { n: 2 });
    expect(ok.type).toBe('accepted');
    await resumed.next((f) => f.type === 'callback' && f.body?.result === 2);
    for (const x of [owner, c, fresh, resumed]) await x.close();
    await expectAlive(bus.url, 'hello');
    await calc.add(2, 'after hello');
  });

  it('__proto__ and constructor keys in duplex bodies pollute nothing, through JSONata and the callback', async () => {
    const c = await RawDuplex.open(bus.url);
    const bodies = [
      '{"__proto__":{"polluted":1},"k":1}',
      '{"constructor":{"prototype":{"polluted":1}},"k":2}',
      '{"a":[{"__proto__":{"polluted":1}}],"k":3}',
      '{"__proto__":{"__proto__":{"polluted":1}},"k":4}',
    ];
    for (const [i, body] of bodies.entries()) {
      c.send(`{"type":"send","id":"p${i}","itinerary":"probe","action":"Any","body":${body}}`);
      const answer = await c.next((f) => f.id === `p${i}` && (f.type === 'accepted' || f.type === 'error'));
      expect(answer.type, body).toBe('accepted');
      expect(answer.reply, body).toMatchObject({ merged: true, patched: true, k: i + 1 });
      await c.next((f) => f.type === 'callback' && f.correlationId === answer.correlationId);
      expectNoPollution(`ws ${body}`);
    }
    // The same through the long-polling binding, polled back.
    const created = await http(`${bus.url}/duplex/sessions`, { method: 'POST' });
    const auth = { authorization: `Bearer ${created.body.token}` };
    for (const [i, body] of bodies.entries()) {
      const res = await http(`${bus.url}/duplex/sessions/${created.body.session}/messages`, {
        raw: `{"id":"q${i}","itinerary":"probe","action":"Any","body":${body}}`,
        headers: { ...auth, 'content-type': 'application/json' },
      });
      expect(res.status, body).toBe(202);
      expectNoPollution(`poll ${body}`);
    }
    const polled = await waitFor(async () => {
      const r = await http(`${bus.url}/duplex/sessions/${created.body.session}/poll?after=0`, { headers: auth });
      return r.body.items?.length === bodies.length ? r.body.items : undefined;
    }, 'the echoes');
    expect(polled.map((f: any) => f.body.k)).toEqual([1, 2, 3, 4]);
    expectNoPollution('after the echoes');
    await c.close();
  });

  it('sends beyond what the session may queue are refused with RATE_LIMITED and never run', async () => {
    const c = await RawDuplex.open(bus.url);
    const n = 600;
    for (let i = 0; i < n; i++) c.send({ type: 'send', id: `b${i}`, itinerary: 'calculator', action: 'AddTo', body: { n: 1 } });
    const answers = await waitFor(
      () => {
        const a = c.frames.filter((f) => f.type === 'accepted' || f.type === 'error');
        return a.length === n ? a : undefined;
      },
      'an answer to every send',
      30_000,
    );
    const accepted = answers.filter((f) => f.type === 'accepted').length;
    for (const e of answers.filter((f) => f.type === 'error')) {
      expectErrorFrame(e, 'burst');
      expect(e.error.code).toBe('RATE_LIMITED');
    }
    // Exactly the accepted ones ran, in order: the last Result is their count.
    await waitFor(() => c.callbacks().length === accepted, 'one callback per accepted send', 30_000);
    expect(c.callbacks().map((f) => f.body.result)).toEqual(Array.from({ length: accepted }, (_v, i) => i + 1));
    await c.close();
    await calc.add(3, 'after the burst');
  });

  it('malformed WebSocket bytes (invalid UTF-8, unmasked, reserved bits, lying lengths, half frames) close that socket only', async () => {
    const port = portOf(bus.url);
    const cases: [string, Buffer[], number[]][] = [
      ['invalid UTF-8 text', [wsFrame(0x1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))], [1007]],
      ['unmasked frame', [wsFrame(0x1, '{"type":"hello"}', { mask: false })], [1002]],
      ['reserved opcode', [wsFrame(0x3, 'x')], [1002]],
      ['RSV bits without an extension', [wsFrame(0x1, '{"type":"hello"}', { rsv: 4 })], [1002]],
      ['a 2^62-byte frame', [wsFrame(0x1, 'x', { announce: 2n ** 62n })], [1009]],
      ['fragmented ping', [wsFrame(0x9, 'x', { fin: false })], [1002]],
      ['continuation without a start', [wsFrame(0x0, 'x')], [1002]],
      ['close with an invalid code', [wsFrame(0x8, Buffer.from([0x03, 0xe7]))], [1002]],
      ['oversized frame (past maxFrameBytes)', [wsFrame(0x1, JSON.stringify({ type: 'hello', pad: 'x'.repeat(300 * 1024) }))], [1009]],
    ];
    for (const [name, frames, codes] of cases) {
      const ws = await RawWebSocket.open(port);
      for (const f of frames) ws.write(f);
      // The server sends its close frame, then waits for ours (which never comes): the close code is the answer.
      await waitFor(() => ws.closeCode !== undefined || ws.socket.destroyed, `${name}: a close frame`, 5000);
      expect(codes, `${name}: closed with ${ws.closeCode}`).toContain(ws.closeCode);
      ws.destroy();
      await expectAlive(bus.url, name);
    }
    // Random bytes after the upgrade, and half a frame left hanging.
    const rnd = prng(0xb17e5);
    const hanging: RawWebSocket[] = [];
    for (let i = 0; i < 20; i++) {
      const ws = await RawWebSocket.open(port);
      ws.write(Buffer.from(Array.from({ length: 1 + rnd.int(64) }, () => rnd.int(256))));
      hanging.push(ws);
      const half = await RawWebSocket.open(port);
      half.write(wsFrame(0x1, '{"type":"hello"}').subarray(0, 3 + rnd.int(10)));
      hanging.push(half);
    }
    await calc.add(4, 'while sockets hang');
    await expectAlive(bus.url, 'hanging sockets');
    for (const ws of hanging) ws.destroy();
  });

  it('odd upgrade requests are answered with an HTTP error, not a dropped connection', async () => {
    const port = portOf(bus.url);
    const upgrade = (target: string, extra = 'Sec-WebSocket-Protocol: itinera.v1\r\n', key = 'dGhlIHNhbXBsZSBub25jZQ==') =>
      rawExchange(
        port,
        `GET ${target} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
      );
    const cases: [string, string, string | undefined, RegExp][] = [
      ['a target URL cannot parse', 'http://[::1', undefined, /^HTTP\/1\.1 400 /],
      ['another path', '/elsewhere', undefined, /^HTTP\/1\.1 404 /],
      ['no subprotocol', '/duplex', '', /^HTTP\/1\.1 400 /],
      ['another subprotocol', '/duplex', 'Sec-WebSocket-Protocol: chat, superchat\r\n', /^HTTP\/1\.1 400 /],
      ['a subprotocol list of junk', '/duplex', `Sec-WebSocket-Protocol: ${',,, '.repeat(500)}\r\n`, /^HTTP\/1\.1 400 /],
    ];
    for (const [name, target, extra, status] of cases) {
      const answer = await upgrade(target, extra);
      expect(answer, name).toMatch(status);
      const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
      const problem = JSON.parse(body);
      expect(problem.code, name).toMatch(/^[A-Z_]+$/);
      expectReadable(problem.detail, name);
      await expectAlive(bus.url, name);
    }
    // A bad key is refused by ws itself (400, plain text).
    expect(await upgrade('/duplex', undefined, 'short')).toMatch(/^HTTP\/1\.1 400 /);
    await calc.add(5, 'after odd upgrades');
  });

  it('many sockets sending garbage at once: the calculator client gets exactly its results', async () => {
    const seed = 0xd00d;
    const rnd = prng(seed);
    const port = portOf(bus.url);
    const garbage = (): unknown => {
      switch (rnd.int(10)) {
        case 0:
          return Buffer.from(Array.from({ length: rnd.int(50) }, () => rnd.int(256)));
        case 1:
          return rnd.pick(['', '{', 'null', '[]', '{"type":1}', '{"type":"send"}', '{"type":"ack","seq":-1}', nestedArrays(50_000)]);
        case 2:
          return {
            type: 'send',
            id: `g${rnd.int(1e6)}`,
            itinerary: rnd.pick(['probe', 'calculator', 'nope', 'chat']),
            action: rnd.pick(['AddTo', 'Any', 'Nope']),
            body: rnd.pick([null, {}, { n: 1 }, [1], 'x', { __proto__: null, a: 1 }]),
          };
        case 3:
          return { type: 'hello', session: 'nope', token: 'x' };
        case 4:
          return { type: 'ping' };
        case 5:
          return { type: 'ack', seq: rnd.int(1e6) };
        case 6:
          return `{"type":"send","id":"u${rnd.int(100)}","itinerary":"probe","action":"Any","body":{"s":"\\u0000\\ud800${'😀'.repeat(rnd.int(5))}"}}`;
        case 7:
          return { type: rnd.pick(['bye', 'hello', 'welcome', 'callback']) };
        default:
          return { type: 'send', id: `big${rnd.int(1e6)}`, itinerary: 'probe', action: 'Any', body: { pad: 'x'.repeat(rnd.int(20_000)) } };
      }
    };
    const noisy = await Promise.all(Array.from({ length: 20 }, () => RawDuplex.open(bus.url)));
    const everyNoisy = [...noisy];
    const raw = await Promise.all(Array.from({ length: 10 }, () => RawWebSocket.open(port)));
    const tcp = Array.from({ length: 10 }, () => {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      return s;
    });
    let stop = false;
    const noise = (async () => {
      while (!stop) {
        for (const [k, c] of noisy.entries()) {
          // Ten bad frames in a row close a socket (1003/1007): open another, keep the noise up.
          if (c.ws.readyState === c.ws.CLOSED) {
            noisy[k] = await RawDuplex.open(bus.url);
            everyNoisy.push(noisy[k]!);
          }
          if (c.ws.readyState !== c.ws.OPEN) continue;
          const g = garbage();
          if (Buffer.isBuffer(g)) c.ws.send(g, { binary: true });
          else c.send(g);
        }
        for (const r of raw) r.write(Buffer.from(Array.from({ length: rnd.int(30) }, () => rnd.int(256))));
        for (const s of tcp) if (!s.destroyed) s.write(Buffer.from(Array.from({ length: rnd.int(30) }, () => rnd.int(256))));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    try {
      for (let i = 1; i <= 30; i++) await calc.add(i, `seed ${seed}: under noise, add ${i}`);
    } finally {
      stop = true;
      await noise;
    }
    expect(everyNoisy.length).toBeGreaterThan(noisy.length);
    for (const c of everyNoisy) {
      for (const e of c.frames.filter((f) => f.type === 'error')) expectErrorFrame(e, `seed ${seed}: noisy client`);
    }
    expectNoPollution('noise');
    await expectAlive(bus.url, 'noise');
    calc.expectExactly('after the noise');
    await Promise.all(everyNoisy.map((c) => c.close()));
    for (const r of raw) r.destroy();
    for (const s of tcp) s.destroy();
  });

  it('300 seeded random frames on one session: every error is readable, the bus stays up', async () => {
    const seed = 0x5eed;
    const rnd = prng(seed);
    const strings = ['', 'x', '\u0000', '😀', '__proto__', 'constructor', 'calculator', 'probe', 'AddTo', 'x'.repeat(300)];
    const value = (depth: number): unknown => {
      switch (rnd.int(depth > 2 ? 5 : 7)) {
        case 0:
          return null;
        case 1:
          return rnd.pick([0, -1, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e308]);
        case 2:
          return rnd.pick(strings);
        case 3:
          return rnd.next() < 0.5;
        case 4:
          return rnd.int(100);
        case 5:
          return Array.from({ length: rnd.int(3) }, () => value(depth + 1));
        default:
          return Object.fromEntries(Array.from({ length: rnd.int(4) }, () => [rnd.pick(['n', 'id', 'seq', 'type', ...strings]), value(depth + 1)]));
      }
    };
    const frame = (): unknown => {
      const type = rnd.pick(['send', 'send', 'ack', 'hello', 'ping', 'x', undefined]);
      const f: Record<string, unknown> = type === undefined ? {} : { type };
      for (const field of ['id', 'itinerary', 'version', 'action', 'body', 'seq', 'session', 'token', 'lastSeq']) {
        if (rnd.next() < 0.4) f[field] = value(0);
      }
      if (type === 'send' && rnd.next() < 0.5)
        Object.assign(f, { id: `r${rnd.int(1e6)}`, itinerary: rnd.pick(['probe', 'calculator']), action: rnd.pick(['Any', 'AddTo', 'Clear']) });
      return rnd.next() < 0.1 ? JSON.stringify(f).slice(0, rnd.int(30)) : f;
    };
    let c = await RawDuplex.open(bus.url);
    for (let i = 0; i < 300; i++) {
      const context = `seed ${seed} case ${i}`;
      if (c.ws.readyState !== c.ws.OPEN) c = await RawDuplex.open(bus.url);
      const before = c.frames.length;
      c.send(frame());
      c.send({ type: 'ping' });
      await c.next((f) => f.type === 'pong' && c.frames.indexOf(f) >= before);
      for (const f of c.frames.slice(before)) {
        if (f.type === 'error') expectErrorFrame(f, context);
        else expect(['accepted', 'pong', 'callback', 'fault'], `${context}: ${JSON.stringify(f).slice(0, 200)}`).toContain(f.type);
      }
      expectNoPollution(context);
      await expectAlive(bus.url, context);
      if (i % 25 === 0) await calc.add(i, context);
    }
    await c.close();
    calc.expectExactly('after the random frames');
  });
});
