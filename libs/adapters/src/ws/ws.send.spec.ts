import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeWsSendPool, wsSendAdapter as ws, wsSendPoolSize, type WsSendOptions } from './ws.send';
import { failureOf, fixtureMessage, fixtureSendContext } from '../provider/send-fixtures';

let wss: WebSocketServer;
let url: string;
let frames: unknown[] = [];
let sockets: WebSocket[] = [];
let protocolsSeen: string[] = [];
/** What the server answers to each frame (undefined: nothing; an array: several frames). */
let answer: (frame: Record<string, unknown>) => unknown = () => undefined;

beforeAll(async () => {
  const http = createServer();
  wss = new WebSocketServer({ server: http });
  wss.on('connection', (socket) => {
    sockets.push(socket);
    protocolsSeen.push(socket.protocol);
    socket.on('message', (data) => {
      let frame: unknown;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        frame = data.toString();
      }
      frames.push(frame);
      const reply = typeof frame === 'object' && frame ? answer(frame as Record<string, unknown>) : undefined;
      for (const r of Array.isArray(reply) ? reply : reply === undefined ? [] : [reply]) socket.send(JSON.stringify(r));
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/orders`;
});

afterEach(async () => {
  await closeWsSendPool();
  frames = [];
  sockets = [];
  protocolsSeen = [];
  answer = () => undefined;
});

afterAll(async () => {
  for (const c of wss.clients) c.terminate();
  await new Promise((r) => wss.close(r));
});

const opts = (o: Partial<WsSendOptions> = {}): WsSendOptions => ({ timeoutMs: 2000, protocols: [], awaitAck: false, raw: false, ...o });

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

const failure = failureOf;

/** The test server is on loopback: listed, as an operator would list it (the SSRF guard refuses it otherwise). */
const ctx = () => fixtureSendContext({ allowList: [url] });

describe('ws send adapter', () => {
  it('sends framed JSON over one pooled connection per address', async () => {
    await ws.send(url, fixtureMessage({ n: 1 }), opts(), ctx());
    await ws.send(url, fixtureMessage({ n: 2 }, { idempotencyKey: 'step-key-2' }), opts(), ctx());
    await until(() => frames.length === 2);
    expect(frames[0]).toEqual({ idempotencyKey: 'step-key-1', messageId: 'msg-1', correlationId: 'corr-1', body: { n: 1 } });
    expect(frames[1]).toMatchObject({ idempotencyKey: 'step-key-2', body: { n: 2 } });
    expect(sockets).toHaveLength(1);
    expect(wsSendPoolSize()).toBe(1);
  });

  it('sends the body alone with raw, and offers the subprotocols', async () => {
    await ws.send(url, fixtureMessage({ n: 3 }), opts({ raw: true, protocols: ['orders.v1'] }), ctx());
    await ws.send(url, fixtureMessage('plain text'), opts({ raw: true, protocols: ['orders.v1'] }), ctx());
    await until(() => frames.length === 2);
    expect(frames).toEqual([{ n: 3 }, 'plain text']);
    expect(protocolsSeen).toEqual(['orders.v1']);
  });

  it('with awaitAck, resolves with the body of the reply carrying the same idempotencyKey', async () => {
    answer = (f) => [{ idempotencyKey: 'someone-else', body: 'not mine' }, 'noise', { idempotencyKey: f.idempotencyKey, body: { stored: true } }];
    const out = await ws.send(url, fixtureMessage(), opts({ awaitAck: true }), ctx());
    expect(out).toEqual({ body: { stored: true } });
  });

  it('with awaitAck, a reply carrying an error fails the send (not transient)', async () => {
    answer = (f) => ({ idempotencyKey: f.idempotencyKey, error: { code: 'REJECTED', message: 'unknown product' } });
    const err = await failure(ws.send(url, fixtureMessage(), opts({ awaitAck: true }), ctx()));
    expect(err.code).toBe('SEND_FAILED');
    expect(err.transient).toBe(false);
    expect(err.message).toMatch(/unknown product/);
  });

  it('with awaitAck, no reply within timeoutMs is a transient failure', async () => {
    const err = await failure(ws.send(url, fixtureMessage(), opts({ awaitAck: true, timeoutMs: 100 }), ctx()));
    expect(err.transient).toBe(true);
    expect(err.message).toMatch(/no reply .* within 100 ms/);
  });

  it('reconnects after the endpoint closes the connection', async () => {
    await ws.send(url, fixtureMessage(), opts(), ctx());
    await until(() => sockets.length === 1);
    sockets[0].close();
    await until(() => wsSendPoolSize() === 0);
    await ws.send(url, fixtureMessage({ again: true }), opts(), ctx());
    await until(() => frames.length === 2);
    expect(sockets).toHaveLength(2);
  });

  it('fails a send waiting for a reply when the connection closes (transient)', async () => {
    answer = () => {
      sockets[sockets.length - 1].close();
      return undefined;
    };
    const err = await failure(ws.send(url, fixtureMessage(), opts({ awaitAck: true }), ctx()));
    expect(err.transient).toBe(true);
    expect(err.message).toMatch(/closed/);
  });

  it('reports an endpoint that is not listening as transient', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await failure(ws.send(`ws://127.0.0.1:${port}/`, fixtureMessage(), opts(), fixtureSendContext({ allowList: [`ws://127.0.0.1:${port}/`] })));
    expect(err.code).toBe('SEND_FAILED');
    expect(err.transient).toBe(true);
    expect(wsSendPoolSize()).toBe(0);
  });

  it('refuses an address outside the allow-list', async () => {
    const err = await failure(ws.send(url, fixtureMessage(), opts(), fixtureSendContext({ allowList: ['ws://127.0.0.1:1'] })));
    expect(err.code).toBe('ADDRESS_NOT_ALLOWED');
    expect(err.message).toContain('ITINERA_SEND_ALLOWLIST');
    expect(sockets).toHaveLength(0);
  });

  it('refuses loopback by default and an address carrying credentials even when its host is listed', async () => {
    const port = new URL(url).port;
    const guarded = await failure(ws.send(url, fixtureMessage(), opts(), fixtureSendContext()));
    expect(guarded.code).toBe('ADDRESS_REFUSED');
    expect(guarded.message).toMatch(/rule: loopback/);
    const withUser = await failure(
      ws.send(`ws://allowed.test:x@127.0.0.1:${port}/`, fixtureMessage(), opts(), fixtureSendContext({ allowList: ['ws://allowed.test/', url] })),
    );
    expect(withUser.code).toBe('ADDRESS_CREDENTIALS');
    expect(withUser.message).not.toContain('allowed.test:x');
    expect(sockets).toHaveLength(0);
  });

  it('sends Basic credentials from the config in the handshake', async () => {
    let authorization: string | undefined;
    wss.once('headers', (_h, req) => (authorization = req.headers.authorization));
    await ws.send(url, fixtureMessage(), opts({ username: 'bot', password: 's3cret' }), ctx());
    expect(authorization).toBe(`Basic ${Buffer.from('bot:s3cret').toString('base64')}`);
  });

  it('fails with SEND_FAILED when a reply frame is larger than maxResponseBytes', async () => {
    answer = (f) => ({ idempotencyKey: f.idempotencyKey, body: 'x'.repeat(4096) });
    const err = await failure(ws.send(url, fixtureMessage(), opts({ awaitAck: true }), fixtureSendContext({ allowList: [url], maxResponseBytes: 2048 })));
    expect(err.code).toBe('SEND_FAILED');
    expect(err.transient).toBe(false);
    expect(err.message).toMatch(/answer larger than 2048 bytes/);
  });

  it('closes pooled sockets on shutdown', async () => {
    await ws.send(url, fixtureMessage(), opts(), ctx());
    await until(() => sockets.length === 1);
    const closed = new Promise<number>((r) => sockets[0].once('close', (code) => r(code)));
    await closeWsSendPool();
    expect(await closed).toBe(1001);
    expect(wsSendPoolSize()).toBe(0);
  });

  it('accepts only ws(s) addresses and documents every option', () => {
    expect(ws.checkAddress!('wss://example.test/x')).toBeUndefined();
    expect(ws.checkAddress!('http://example.test/x')).toMatch(/ws:\/\//);
    for (const [key, field] of Object.entries(ws.spec)) {
      expect(field.description, key).toBeTruthy();
      expect(field.examples?.length, key).toBeGreaterThan(0);
    }
  });
});
