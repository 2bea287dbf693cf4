import { lookup } from 'node:dns/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpSendAdapter as http, type HttpSendOptions } from './http.send';
import { failureOf, fixtureMessage, fixtureSendContext } from '../provider/send-fixtures';
import { classifyIp } from '../provider/address-guard';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let base: string;
let seen: Seen[] = [];
let failuresLeft = 0;

const routes: Record<string, (res: ServerResponse) => void> = {
  '/ok': (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":true}'),
  '/text': (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks'),
  '/empty': (res) => res.writeHead(204).end(),
  '/flaky': (res) => {
    if (failuresLeft-- > 0) res.writeHead(503).end('busy, try later');
    else res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":7}');
  },
  '/bad': (res) => res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'productId missing', pad: 'x'.repeat(500) })),
  '/down': (res) => res.writeHead(503).end('down'),
  '/limited': (res) => res.writeHead(429, { 'retry-after': '0' }).end('slow down'),
  '/redirect': (res) => res.writeHead(302, { location: 'http://elsewhere.test/' }).end(),
  '/slow': () => undefined, // never answers: the adapter's timeout must fire
  // 3 MB streamed without a length: the adapter must count as it reads.
  '/big': (res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = 'x'.repeat(64 * 1024);
    let left = 48;
    const pump = () => {
      while (left > 0) {
        left--;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('error', () => undefined);
    pump();
  },
  '/declared': (res) => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(2 * 1024 * 1024) }).end('x'.repeat(2 * 1024 * 1024)),
  '/auth': (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      (routes[req.url!] ?? ((r: ServerResponse) => r.writeHead(404).end()))(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  seen = [];
  failuresLeft = 0;
});

const opts = (o: Partial<HttpSendOptions> = {}): HttpSendOptions => ({
  method: 'POST',
  headers: {},
  timeoutMs: 5000,
  retries: 0,
  retryBackoffMs: 1,
  contentType: 'application/json',
  expectJson: false,
  ...o,
});

const failure = failureOf;

const ownAddress = await lookup(hostname())
  .then((a) => (classifyIp(a.address) === 'public' ? undefined : a))
  .catch(() => undefined);

/** The test server is on loopback: listed, as an operator would list it (the SSRF guard refuses it otherwise). */
const ctx = (patch: Parameters<typeof fixtureSendContext>[0] = {}) => fixtureSendContext({ allowList: [`${base}/`], ...patch });

describe('http send adapter', () => {
  it('posts the body as JSON with the idempotency and correlation headers', async () => {
    const out = await http.send(`${base}/ok`, fixtureMessage({ order: 1 }), opts({ headers: { 'X-Api-Key': 'k1' } }), ctx());
    expect(out).toEqual({ status: 200, body: { accepted: true } });
    expect(seen).toHaveLength(1);
    const req = seen[0];
    expect(req.method).toBe('POST');
    expect(JSON.parse(req.body)).toEqual({ order: 1 });
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['idempotency-key']).toBe('step-key-1');
    expect(req.headers['itinera-message-id']).toBe('msg-1');
    expect(req.headers['itinera-correlation-id']).toBe('corr-1');
    expect(req.headers['itinera-action']).toBe('CreateOrder');
    expect(req.headers['x-api-key']).toBe('k1');
  });

  it('keeps a non-JSON answer as text, an empty one as undefined, and sends GET without a body', async () => {
    expect(await http.send(`${base}/text`, fixtureMessage(), opts(), ctx())).toEqual({ status: 200, body: 'thanks' });
    expect(await http.send(`${base}/empty`, fixtureMessage(), opts({ method: 'GET' }), ctx())).toEqual({ status: 204, body: undefined });
    expect(seen[1].method).toBe('GET');
    expect(seen[1].body).toBe('');
  });

  it('with expectJson, fails on an answer that is not JSON (not transient)', async () => {
    const err = await failure(http.send(`${base}/text`, fixtureMessage(), opts({ expectJson: true }), ctx()));
    expect(err.code).toBe('SEND_FAILED');
    expect(err.transient).toBe(false);
    expect(err.message).toMatch(/not JSON/);
  });

  it('retries a 503 with backoff and the same idempotency key, then succeeds', async () => {
    failuresLeft = 2;
    const out = await http.send(`${base}/flaky`, fixtureMessage(), opts({ retries: 3 }), ctx());
    expect(out).toEqual({ status: 201, body: { id: 7 } });
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((s) => s.headers['idempotency-key']))).toEqual(new Set(['step-key-1']));
  });

  it('gives up after the configured retries with a transient SEND_FAILED', async () => {
    const err = await failure(http.send(`${base}/down`, fixtureMessage(), opts({ retries: 1 }), ctx()));
    expect(seen).toHaveLength(2);
    expect(err.code).toBe('SEND_FAILED');
    expect(err.transient).toBe(true);
    expect(err.message).toMatch(/answered 503: down/);
  });

  it('treats 429 as transient', async () => {
    const err = await failure(http.send(`${base}/limited`, fixtureMessage(), opts(), ctx()));
    expect(err.transient).toBe(true);
    expect(err.message).toMatch(/429/);
  });

  it('does not retry a 400 and reports the status with a short body excerpt', async () => {
    const err = await failure(http.send(`${base}/bad`, fixtureMessage(), opts({ retries: 3 }), ctx()));
    expect(seen).toHaveLength(1);
    expect(err.code).toBe('SEND_FAILED');
    expect(err.transient).toBe(false);
    expect(err.message).toMatch(/answered 400: \{"error":"productId missing"/);
    expect(err.message.length).toBeLessThan(400);
  });

  it('times out a request that gets no answer (transient)', async () => {
    const err = await failure(http.send(`${base}/slow`, fixtureMessage(), opts({ timeoutMs: 100 }), ctx()));
    expect(err.code).toBe('SEND_FAILED');
    expect(err.transient).toBe(true);
    expect(err.message).toMatch(/did not answer within 100 ms/);
  });

  it('reports a refused connection as transient', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await failure(
      http.send(`http://127.0.0.1:${port}/x`, fixtureMessage(), opts(), fixtureSendContext({ allowList: [`http://127.0.0.1:${port}/`] })),
    );
    expect(err.transient).toBe(true);
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('does not follow redirects (the allow-list applies to the real target)', async () => {
    const err = await failure(http.send(`${base}/redirect`, fixtureMessage(), opts(), ctx()));
    expect(err.transient).toBe(false);
    expect(err.message).toMatch(/302 \(redirect to http:\/\/elsewhere\.test\//);
  });

  it('refuses an address outside the allow-list before any request', async () => {
    const err = await failure(http.send(`${base}/ok`, fixtureMessage(), opts(), fixtureSendContext({ allowList: ['http://127.0.0.1:1/'] })));
    expect(err.code).toBe('ADDRESS_NOT_ALLOWED');
    expect(err.message).toContain(`${base}/ok`);
    expect(err.message).toContain('ITINERA_SEND_ALLOWLIST');
    expect(seen).toHaveLength(0);
    await expect(http.send(`${base}/ok`, fixtureMessage(), opts(), fixtureSendContext({ allowList: [base] }))).resolves.toMatchObject({ status: 200 });
  });

  it('refuses loopback by default (SSRF guard) before any request, without listing', async () => {
    for (const address of [`${base}/ok`, `http://localhost:${new URL(base).port}/ok`, `http://0x7f000001:${new URL(base).port}/ok`]) {
      const err = await failure(http.send(address, fixtureMessage(), opts(), fixtureSendContext()));
      expect(err.code).toBe('ADDRESS_REFUSED');
      expect(err.transient).toBe(false);
      expect(err.message).toMatch(/rule: loopback/);
    }
    expect(seen).toHaveLength(0);
  });

  // The machine's own name usually resolves (through /etc/hosts) to loopback or a private address: a real name the guard must check at connect time.
  it.runIf(ownAddress !== undefined)('checks the address a host name resolves to when connecting (no rebinding window)', async () => {
    const name = hostname();
    const resolved = ownAddress;
    const port = new URL(base).port;
    const err = await failure(http.send(`http://${name}:${port}/ok`, fixtureMessage(), opts(), fixtureSendContext()));
    expect(err.code).toBe('ADDRESS_REFUSED');
    expect(err.message).toContain(`"${name}": it resolves to ${resolved!.address}`);
    expect(seen).toHaveLength(0);
    // Listed by name, it goes through; the kept-alive socket is not then reused for an unlisted send.
    await expect(http.send(`http://${name}:${port}/ok`, fixtureMessage(), opts(), fixtureSendContext({ allowList: [name] }))).resolves.toMatchObject({
      status: 200,
    });
    const again = await failure(http.send(`http://${name}:${port}/ok`, fixtureMessage(), opts(), fixtureSendContext()));
    expect(again.code).toBe('ADDRESS_REFUSED');
    expect(seen).toHaveLength(1);
  });

  it('refuses an address with credentials, and sends Basic credentials from the config instead', async () => {
    const err = await failure(http.send(base.replace('http://', 'http://bot:s3cret@') + '/auth', fixtureMessage(), opts(), ctx()));
    expect(err.code).toBe('ADDRESS_CREDENTIALS');
    expect(err.message).not.toContain('s3cret');
    expect(seen).toHaveLength(0);
    await http.send(`${base}/auth`, fixtureMessage(), opts({ username: 'bot', password: 's3cret' }), ctx());
    expect(seen[0].headers.authorization).toBe(`Basic ${Buffer.from('bot:s3cret').toString('base64')}`);
  });

  it('masks secret query parameters in its errors', async () => {
    const err = await failure(http.send(`${base}/bad?apikey=s3cret&x=1`, fixtureMessage(), opts(), ctx()));
    expect(err.message).toContain('/bad?apikey=***&x=1');
    expect(err.message).not.toContain('s3cret');
  });

  it('drops an answer past maxResponseBytes with SEND_FAILED (streamed or declared), not transient', async () => {
    const streamed = await failure(http.send(`${base}/big`, fixtureMessage(), opts(), ctx()));
    expect(streamed.code).toBe('SEND_FAILED');
    expect(streamed.transient).toBe(false);
    expect(streamed.message).toMatch(/answer larger than 1048576 bytes/);
    const declared = await failure(http.send(`${base}/declared`, fixtureMessage(), opts(), ctx({ maxResponseBytes: 1024 * 1024 })));
    expect(declared.message).toMatch(/answer larger than 1048576 bytes/);
    // The endpoint config may only lower the bus-wide limit.
    const lowered = await failure(http.send(`${base}/text`, fixtureMessage(), opts({ maxResponseBytes: 3 }), ctx()));
    expect(lowered.message).toMatch(/answer larger than 3 bytes/);
    const capped = await failure(http.send(`${base}/big`, fixtureMessage(), opts({ maxResponseBytes: 10_000_000 }), ctx({ maxResponseBytes: 2048 })));
    expect(capped.message).toMatch(/answer larger than 2048 bytes/);
    await expect(http.send(`${base}/big`, fixtureMessage(), opts(), ctx({ maxResponseBytes: 4 * 1024 * 1024 }))).resolves.toMatchObject({ status: 200 });
  });

  it('accepts only http(s) addresses', () => {
    expect(http.checkAddress!('https://example.test/orders')).toBeUndefined();
    expect(http.checkAddress!('ftp://example.test/')).toMatch(/http/);
    expect(http.checkAddress!('orders')).toMatch(/absolute/);
  });

  it('declares a documented spec with examples on every option', () => {
    for (const [key, field] of Object.entries(http.spec)) {
      expect(field.description, key).toBeTruthy();
      expect(field.examples?.length, key).toBeGreaterThan(0);
    }
    expect(http.spec.method.default).toBe('POST');
    expect(http.spec.timeoutMs.default).toBe(5000);
    expect(http.spec.retries.default).toBe(0);
  });
});
