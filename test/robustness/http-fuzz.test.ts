import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, waitFor } from '@itinera/testing';
import {
  CalculatorClient,
  expectAlive,
  expectClientProblem,
  expectNoPollution,
  expectReadable,
  nestedArrays,
  nestedObjects,
  portOf,
  prng,
  rawExchange,
  startProbeBus,
} from './support';

/**
 * The HTTP on-ramp (and the long-polling duplex binding) under bad input: every answer
 * is a 2xx for a message the bus holds, or a 4xx problem+json with a stable code and a
 * readable detail; the process keeps answering and a well-behaved duplex client beside
 * it gets exactly its results.
 */
describe('HTTP on-ramp robustness', () => {
  let bus: Awaited<ReturnType<typeof startProbeBus>>;
  let calc: CalculatorClient;
  let poll: { session: string; token: string };
  const JSON_HEADERS = { 'content-type': 'application/json' };

  beforeAll(async () => {
    bus = await startProbeBus({ pollTimeoutMs: 200 });
    calc = await CalculatorClient.open(bus.url);
    const created = await http(`${bus.url}/duplex/sessions`, { method: 'POST' });
    poll = { session: created.body.session, token: created.body.token };
  });
  afterAll(async () => {
    await calc?.close();
    await bus?.stop();
  });

  /** Every POST that takes a body, with the headers it needs to get past routing. */
  const endpoints = (): { name: string; path: string; headers: Record<string, string> }[] => [
    { name: 'calculator', path: '/itineraries/calculator/messages', headers: { 'itinera-action': 'AddTo' } },
    { name: 'orders', path: '/itineraries/orders/messages', headers: { 'itinera-action': 'CreateOrder' } },
    { name: 'probe', path: '/itineraries/probe/messages', headers: {} },
    { name: 'selector', path: '/messages', headers: { 'itinera-action': 'AddTo' } },
    { name: 'poll-send', path: `/duplex/sessions/${poll.session}/messages`, headers: { authorization: `Bearer ${poll.token}` } },
    { name: 'poll-create', path: '/duplex/sessions', headers: {} },
  ];

  /** A 2xx must name a message the bus holds; anything else must be a readable 4xx. */
  async function expectHandled(res: { status: number; headers: Headers; body: any }, context: string): Promise<void> {
    if (res.status >= 200 && res.status < 300) {
      const id = res.headers.get('itinera-message-id');
      // Through the polling session: a message it sent is readable only so (auth off); the others by id alone.
      const asSession = { headers: { 'itinera-session': poll.session, 'itinera-session-token': poll.token } };
      if (id) expect((await http(`${bus.url}/messages/${id}`, asSession)).status, `${context}: record of an accepted message`).toBe(200);
      return;
    }
    expectClientProblem(res, context);
  }

  const post = (path: string, raw: string, headers: Record<string, string> = {}) =>
    http(`${bus.url}${path}`, { raw, headers: { ...JSON_HEADERS, ...headers } });

  it('deeply nested JSON (100k arrays, deep objects) is a 4xx on every endpoint, never a 500', async () => {
    const deep = nestedArrays(100_000);
    for (const ep of endpoints()) {
      for (const [label, raw] of [
        ['bare', deep],
        ['in body', `{"n":1,"x":${deep}}`],
        ['in poll body', `{"id":"d1","itinerary":"probe","action":"Any","body":{"x":${deep}}}`],
      ] as const) {
        const res = await post(ep.path, raw, ep.headers);
        const context = `${ep.name} ${label}`;
        if (ep.name === 'poll-create') expect(res.status, context).toBe(201);
        else expectClientProblem(res, context);
      }
      await expectAlive(bus.url, ep.name);
    }
    // Also with an Idempotency-Key (its body hash walks the body).
    const keyed = await post('/itineraries/probe/messages', `{"x":${deep}}`, { 'idempotency-key': 'deep-1' });
    expectClientProblem(keyed, 'deep with Idempotency-Key');
    expect(keyed.body.code).toBe('BAD_REQUEST');
    expect(keyed.body.errors[0].pointer).toMatch(/^\/body\/x\/0\/0/);
  });

  it('nesting up to 64 levels is accepted, 65 is BAD_REQUEST with a pointer', async () => {
    const ok = await http(`${bus.url}/itineraries/probe/messages`, { body: { x: nestedObjects(63) } });
    expect(ok.status).toBe(200);
    const deep = await http(`${bus.url}/itineraries/probe/messages`, { body: { x: nestedObjects(64) } });
    expectClientProblem(deep, '65 levels');
    expect(deep.body).toMatchObject({ code: 'BAD_REQUEST', errors: [{ pointer: `/body/x${'/a'.repeat(63)}` }] });
    expect(deep.body.detail).toMatch(/deeper than 64 levels/);
  });

  it('numbers beyond a double (1e400 parses as Infinity) are BAD_REQUEST with a pointer; big finite ones are taken', async () => {
    for (const n of ['1e400', '-1e400', '9'.repeat(5000)]) {
      for (const path of ['/itineraries/calculator/messages', '/itineraries/probe/messages', '/messages']) {
        const res = await post(path, `{"a":[{"n":${n}}]}`, { 'itinera-action': 'AddTo' });
        expectClientProblem(res, `${path} n=${n.slice(0, 20)}`);
        expect(res.body).toMatchObject({ code: 'BAD_REQUEST', errors: [{ pointer: '/body/a/0/n' }] });
      }
    }
    for (const n of ['123456789012345678901234567890', '1e308', '1e-400', '-0', '0.1e-999999']) {
      const res = await post('/itineraries/calculator/messages', `{"n":${n}}`, { 'itinera-action': 'AddTo' });
      expect(res.status, n).toBe(202);
      const probed = await post('/itineraries/probe/messages', `{"n":${n}}`);
      expect(probed.status, n).toBe(200);
      expect(probed.body.n + 0, n).toBe(JSON.parse(n) + 0); // -0 comes back as 0 (JSON)
    }
  });

  it('__proto__ and constructor keys pollute nothing (HTTP, long polling, JSONata)', async () => {
    const bodies = [
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      '{"a":{"__proto__":{"polluted":1}},"b":[{"__proto__":{"polluted":1}}]}',
      '{"__proto__":{"__proto__":{"polluted":1}}}',
    ];
    for (const body of bodies) {
      for (const ep of endpoints()) {
        const res = await post(ep.path, ep.name === 'poll-send' ? `{"id":"p1","itinerary":"probe","action":"Any","body":${body}}` : body, ep.headers);
        await expectHandled(res, `${ep.name} ${body}`);
        // The HTTP on-ramp's parser refuses these keys outright: the detail must say so, not just "not valid JSON".
        if (res.status === 400 && ep.name !== 'poll-send' && ep.name !== 'poll-create') expect(res.body.detail, body).toMatch(/__proto__/);
        expectNoPollution(`${ep.name} ${body}`);
      }
    }
    // Polled callbacks of the probe itinerary carry the bodies through JSONata after publication too.
    await waitFor(
      async () =>
        (await http(`${bus.url}/duplex/sessions/${poll.session}/poll?after=0`, { headers: { authorization: `Bearer ${poll.token}` } })).body.items?.length >=
        bodies.length,
      'probe echoes',
    );
    expectNoPollution('after the echoes');
  });

  it('non-object bodies (null, arrays, strings, numbers) are handled on every endpoint', async () => {
    for (const raw of ['null', '[]', '[1,{"a":2}]', '"text"', '""', '0', '-1.5', 'true', 'false', '{}']) {
      for (const ep of endpoints()) {
        const res = await post(ep.path, raw, ep.headers);
        await expectHandled(res, `${ep.name} ${raw}`);
        if (ep.name === 'poll-send' && raw !== '{}') expect(res.body.code, `${ep.name} ${raw}`).toBe('BAD_REQUEST');
      }
    }
  });

  it('unicode, NUL and lone surrogates come back as sent', async () => {
    for (const s of ['\u0000', 'a\u0000b', '\ud800', '\udfff\ud800', '😀', '\u202e\u200b', 'é✓\uFFFF', '\\u0000']) {
      const res = await http(`${bus.url}/itineraries/probe/messages`, { body: { s, [s]: 1 } });
      expect(res.status, JSON.stringify(s)).toBe(200);
      expect(res.body.s, JSON.stringify(s)).toBe(s);
      expect(res.body[s], JSON.stringify(s)).toBe(1);
    }
  });

  it('odd header values: empty session, Prefer wait=1e9, a 10 KB and a 255-character Idempotency-Key, long actions, odd media types', async () => {
    const calcPath = '/itineraries/calculator/messages';
    const body = '{"n":1}';
    const h = { 'itinera-action': 'AddTo' };
    await expectHandled(await post(calcPath, body, { ...h, 'itinera-session': '' }), 'empty Itinera-Session');
    for (const prefer of ['wait=1e9', 'wait=99999999999999999999999', 'wait=-1', 'wait=abc', 'wait=', 'wait=0.0001', 'respond-async, wait=0']) {
      const res = await post(calcPath, body, { ...h, prefer });
      expect([200, 202], prefer).toContain(res.status);
      await expectHandled(res, `Prefer: ${prefer}`);
    }
    const tooLong = await post(calcPath, body, { ...h, 'idempotency-key': 'k'.repeat(10 * 1024) });
    expectClientProblem(tooLong, 'a 10 KB Idempotency-Key');
    expect(tooLong.body.code).toBe('INVALID_IDEMPOTENCY_KEY');
    const key = 'k'.repeat(255);
    const first = await post(calcPath, body, { ...h, 'idempotency-key': key });
    const again = await post(calcPath, body, { ...h, 'idempotency-key': key });
    expect(first.status).toBe(202);
    expect(again.headers.get('itinera-message-id')).toBe(first.headers.get('itinera-message-id'));
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expectClientProblem(await post(calcPath, '{"n":2}', { ...h, 'idempotency-key': key }), 'same 255-character key, other body');

    // Action names that are Object.prototype members are unknown actions, not a way past the contract.
    for (const action of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const res = await post(calcPath, body, { 'itinera-action': action });
      expectClientProblem(res, `Itinera-Action: ${action}`);
      expect(res.body.code, action).toBe('UNKNOWN_ACTION');
    }
    for (const [name, value] of [
      ['itinera-action', 'A'.repeat(10_000)],
      ['itinera-action', ' '],
      ['itinera-session', 'x'.repeat(8000)],
      ['itinera-session', '../../etc/passwd'],
      ['authorization', 'Bearer'],
      ['authorization', 'Bearer ' + 't'.repeat(8000)],
    ] as const) {
      const headers: Record<string, string> = { ...h, [name]: value };
      if (name === 'authorization') headers['itinera-session'] = poll.session;
      await expectHandled(await post(calcPath, body, headers), `${name}: ${value.slice(0, 20)}`);
    }
    for (const type of [
      'application/json; charset=utf-16',
      'application/json;;;',
      'APPLICATION/JSON',
      'application/vnd.x+json',
      'application/jsonx',
      'text/json',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded',
    ]) {
      await expectHandled(await http(`${bus.url}${calcPath}`, { raw: body, headers: { ...h, 'content-type': type } }), `Content-Type: ${type}`);
    }
    const noType = await fetch(`${bus.url}${calcPath}`, { method: 'POST', body, headers: h });
    expect(noType.status).toBe(415);
  });

  it('a raw header value the HTTP parser lets through (latin1) is echoed safely', async () => {
    const port = portOf(bus.url);
    const body = '{"n":1}';
    for (const value of [Buffer.from('caf\xe9', 'latin1'), Buffer.from('a'.repeat(12_000)), Buffer.from('\xff\xfe', 'latin1')]) {
      const head = `POST /itineraries/calculator/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nItinera-Action: AddTo\r\nConnection: close\r\nContent-Length: ${body.length}\r\n`;
      for (const header of ['Itinera-Correlation-Id', 'Idempotency-Key']) {
        const answer = await rawExchange(port, Buffer.concat([Buffer.from(`${head}${header}: `), value, Buffer.from(`\r\n\r\n${body}`)]));
        expect(answer, header).toMatch(/^HTTP\/1\.1 (202|400|431) /);
      }
    }
    await expectAlive(bus.url, 'raw headers');
  });

  it('query strings: odd versions and poll positions are 4xx, not 5xx', async () => {
    const h = { 'itinera-action': 'AddTo' };
    for (const q of ['version=../../x', 'version=a&version=b', 'version=%00', 'version=' + '9'.repeat(500), 'version=>=1 <0', 'version[]=1', 'version[a]=1']) {
      const res = await post(`/itineraries/calculator/messages?${q}`, '{"n":1}', h);
      await expectHandled(res, q);
      await expectHandled(await http(`${bus.url}/itineraries/calculator?${q}`), `GET ${q}`);
    }
    const auth = { authorization: `Bearer ${poll.token}` };
    for (const after of ['-5', 'abc', '1e400', '1.5', 'NaN', 'Infinity', '0x10&after=2', String(2 ** 53), '99']) {
      const res = await http(`${bus.url}/duplex/sessions/${poll.session}/poll?after=${after}`, { headers: auth });
      expectClientProblem(res, `after=${after}`);
      expect(res.body.errors[0].pointer).toBe('/after');
    }
  });

  it('poll after=N beyond the last seq is refused: frames not yet polled are not acked away', async () => {
    const created = await http(`${bus.url}/duplex/sessions`, { method: 'POST' });
    const base = `${bus.url}/duplex/sessions/${created.body.session}`;
    const auth = { authorization: `Bearer ${created.body.token}` };
    const sent = await http(`${base}/messages`, { body: { id: 'c1', itinerary: 'calculator', action: 'AddTo', body: { n: 7 } }, headers: auth });
    expect(sent.status).toBe(202);
    await waitFor(async () => (await http(base, { headers: auth })).body.lastSeq === 1, 'the Result callback pushed');
    // A client with a stale position (from another session, say) polls after=5: refused, nothing acked.
    const stale = await http(`${base}/poll?after=5`, { headers: auth });
    expectClientProblem(stale, 'after beyond lastSeq');
    expect(stale.body).toMatchObject({ code: 'BAD_REQUEST', errors: [{ pointer: '/after' }] });
    const polled = await http(`${base}/poll?after=0`, { headers: auth });
    expect(polled.body.items).toMatchObject([{ seq: 1, action: 'Result', body: { result: 7 } }]);
  });

  it('path parameters: encoded slashes, dots, NUL, bad percent-encoding, very long names', async () => {
    const h = { 'itinera-action': 'AddTo' };
    for (const name of ['calc%2Fulator', '..%2F..%2Fetc', '%2e%2e', 'calculator%00', '%E0%A4%A', '%', 'x'.repeat(300), '%F0%9F%98%80', 'calculator%20']) {
      // `%2e%2e` is `..` to URL parsers: the request may land on another route, so only "not a 5xx" holds for every name.
      const res = await post(`/itineraries/${name}/messages`, '{"n":1}', h);
      expect(res.status, name).toBeLessThan(500);
      const get = await http(`${bus.url}/messages/${name}`);
      expect(get.status, name).toBeLessThan(500);
      const session = await http(`${bus.url}/duplex/sessions/${name}/poll`, { headers: { authorization: 'Bearer x' } });
      expect(session.status, name).toBeGreaterThanOrEqual(400);
      expect(session.status, name).toBeLessThan(500);
    }
    await expectAlive(bus.url, 'paths');
  });

  it('methods a route does not take are 4xx problem+json', async () => {
    for (const path of [
      '/messages',
      '/itineraries/calculator/messages',
      '/itineraries',
      '/health/live',
      `/duplex/sessions/${poll.session}`,
      '/duplex/sessions',
    ]) {
      for (const method of ['PUT', 'PATCH', 'DELETE', 'POST', 'GET']) {
        const res = await http(`${bus.url}${path}`, { method, headers: { authorization: `Bearer ${poll.token}` } });
        if (res.status < 400) continue; // the methods the route does take
        expectClientProblem(res, `${method} ${path}`);
      }
    }
    // DELETE of the long-polling session above is allowed: make a fresh one for later tests.
    const created = await http(`${bus.url}/duplex/sessions`, { method: 'POST' });
    poll = { session: created.body.session, token: created.body.token };
  });

  it('an Idempotency-Key that cannot be recorded after publication still answers 202 (the message runs once)', async () => {
    // The key is reserved before anything runs; recording the acceptance after publication is `set`.
    const store = bus.bus.idempotency;
    const set = store.set.bind(store);
    store.set = async () => {
      throw new Error('store unreachable');
    };
    try {
      const res = await http(`${bus.url}/itineraries/probe/messages`, { body: { once: true }, headers: { 'idempotency-key': 'unrecorded-1' } });
      // The box holds it: an error here would tell the client "not accepted".
      expect(res.status).toBe(200);
      const id = res.headers.get('itinera-message-id')!;
      const record = await waitFor(async () => {
        const r = await http(`${bus.url}/messages/${id}`);
        return ['completed', 'faulted'].includes(r.body.status) ? r.body : undefined;
      }, 'the probe message to finish');
      expect(record.trace.map((t: any) => t.step)).toContain('echo');
    } finally {
      store.set = set;
    }
  });

  it('slow, partial requests (slowloris) do not stall others', async () => {
    const { connect } = await import('node:net');
    const port = portOf(bus.url);
    const sockets = Array.from({ length: 30 }, () => connect(port, '127.0.0.1'));
    for (const s of sockets) s.on('error', () => undefined);
    const drip = setInterval(() => {
      for (const s of sockets) s.write('X');
    }, 20);
    try {
      for (const s of sockets)
        s.write('POST /itineraries/calculator/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\nX-Slow: ');
      for (let i = 1; i <= 10; i++) {
        await calc.add(i, `slowloris ${i}`);
        await expectAlive(bus.url, `slowloris ${i}`);
      }
    } finally {
      clearInterval(drip);
      for (const s of sockets) s.destroy();
    }
  });

  it('300 seeded random requests: never a 5xx, the bus stays up, the calculator client is unaffected', async () => {
    const seed = 0x1717;
    const rnd = prng(seed);
    const strings = ['', 'x', '\u0000', '😀', '"', '\\', '</script>', '${env:PATH}', '$$', '{{x}}', 'constructor', '__proto__', 'prototype', 'a'.repeat(3000)];
    const value = (depth: number): unknown => {
      switch (rnd.int(depth > 3 ? 6 : 9)) {
        case 0:
          return null;
        case 1:
          return rnd.next() < 0.5;
        case 2:
          return rnd.pick([0, -1, 1.5, 1e308, -1e-308, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER]);
        case 3:
          return rnd.pick(strings);
        case 4:
          return rnd.int(1000);
        case 5:
          return rnd.pick(strings) + rnd.int(10);
        case 6:
          return Array.from({ length: rnd.int(4) }, () => value(depth + 1));
        default: {
          const o: Record<string, unknown> = {};
          for (let i = rnd.int(4); i > 0; i--) o[rnd.pick(['n', 'id', 'itinerary', 'action', 'body', 'version', 'type', ...strings])] = value(depth + 1);
          return o;
        }
      }
    };
    const rawBody = (): string => {
      switch (rnd.int(8)) {
        case 0:
          return JSON.stringify(value(0)).slice(0, rnd.int(40)); // truncated JSON
        case 1:
          return rnd.pick(['', ' ', '{', '}', '[[[', 'NaN', 'undefined', "{'a':1}", '{"a":1,}', '\u0000', '\ufeff{}', '{"a":01}', '1 2']);
        case 2:
          return nestedArrays(rnd.int(200_000));
        case 3:
          return `{"__proto__":${JSON.stringify(value(1))}}`;
        default:
          return JSON.stringify(value(0)) ?? 'null';
      }
    };
    const headerPool: [string, () => string][] = [
      ['itinera-action', () => rnd.pick(['AddTo', 'CreateOrder', 'Clear', '', 'x'.repeat(500), '__proto__'])],
      ['itinera-session', () => rnd.pick(['', poll.session, 'nope'])],
      ['authorization', () => rnd.pick(['Bearer x', `Bearer ${poll.token}`, 'Basic Zm9v', 'Bearer'])],
      ['idempotency-key', () => `k${rnd.int(20)}`],
      ['itinera-correlation-id', () => rnd.pick(['c', 'x'.repeat(2000), ''])],
      ['prefer', () => rnd.pick(['wait=0', 'wait=0.01', 'wait=1e9', 'handling=lenient'])],
      ['content-type', () => rnd.pick(['application/json', 'application/json', 'text/plain', 'application/merge-patch+json', ''])],
    ];
    const paths = () =>
      rnd.pick([...endpoints().map((e) => e.path), '/itineraries/chat/messages', '/itineraries/order-fulfilment/messages', '/itineraries/nope/messages']);
    for (let i = 0; i < 300; i++) {
      const context = `seed ${seed} case ${i}`;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      for (const [name, gen] of headerPool) if (rnd.next() < 0.3) headers[name] = gen();
      if (headers['content-type'] === '') delete headers['content-type'];
      const res = await http(`${bus.url}${paths()}`, { method: 'POST', raw: rawBody(), headers });
      if (res.status === 201) continue; // a long-polling session created
      await expectHandled(res, context);
      if (res.status >= 400) expectReadable(res.body.detail, context);
      expectNoPollution(context);
      await expectAlive(bus.url, context);
      if (i % 10 === 0) await calc.add(i + 1, context);
    }
    calc.expectExactly('after the random requests');
  });
});
