import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startDuplexServer, type DuplexTestServer } from './support/server';
import { WsProbe } from './support/ws-probe';

describe('WebSocket duplex: frames and bad input', () => {
  let srv: DuplexTestServer;
  let bystander: WsProbe;

  beforeAll(async () => {
    srv = await startDuplexServer({ options: { maxFrameBytes: 4096 } });
    // Another session on the same server: it must carry on whatever the others send.
    bystander = await WsProbe.open(srv.url);
  });
  afterAll(async () => {
    await bystander.close();
    await srv.close();
  });

  async function bystanderStillWorks(tag: string): Promise<void> {
    const a = await bystander.call(`by-${tag}`, 'echo', 'Ping', { tag });
    expect(a).toMatchObject({ type: 'accepted', id: `by-${tag}` });
    const cb = await bystander.next((f) => f.type === 'callback' && f.body?.tag === tag);
    expect(cb.action).toBe('Echo');
  }

  it('hello → welcome with session, token, resumed false, heartbeat, inactivity timeout', async () => {
    const p = await WsProbe.connect(srv.url);
    expect(p.ws.protocol).toBe('itinera.v1');
    p.send({ type: 'hello' });
    const w = await p.next();
    expect(w).toMatchObject({ type: 'welcome', resumed: false, heartbeatMs: 15000, inactivityTimeoutMs: 600000, maxFrameBytes: 4096 });
    expect(typeof w.session).toBe('string');
    expect(w.token.length).toBeGreaterThanOrEqual(22);
    await p.close();
  });

  it('send → accepted with messageId and correlationId, then the callback with seq 1; reply when the itinerary answers', async () => {
    const p = await WsProbe.open(srv.url);
    const a = await p.call('c1', 'echo', 'Hi', { x: 1 });
    expect(a).toMatchObject({ type: 'accepted', id: 'c1', itinerary: 'echo@1.0.0' });
    expect(a.messageId).toBeTruthy();
    expect(a.correlationId).toBeTruthy();
    expect(a).not.toHaveProperty('reply');
    const cb = await p.next((f) => f.type === 'callback');
    expect(cb).toMatchObject({ type: 'callback', seq: 1, action: 'Echo', correlationId: a.correlationId, body: { x: 1 }, id: 'c1' });
    const r = await p.call('c2', 'echo', 'Reply', { y: 2 });
    expect(r).toMatchObject({ type: 'accepted', id: 'c2', reply: { echoed: { y: 2 } } });
    // The gateway saw the session, the client id and the transport.
    const seen = srv.gateway.accepted.find((m) => m.clientMessageId === 'c2')!;
    expect(seen).toMatchObject({ itinerary: 'echo', action: 'Reply', session: p.session, transport: 'ws', headers: {} });
    await p.close();
  });

  it('ping → pong', async () => {
    const p = await WsProbe.open(srv.url);
    p.send({ type: 'ping' });
    expect(await p.next()).toEqual({ type: 'pong', __taken: true });
    await p.close();
  });

  it('malformed JSON, unknown type, missing fields, a non-object: each its error frame, the socket stays open', async () => {
    const p = await WsProbe.open(srv.url);
    p.send('{"type":"send",');
    expect((await p.next()).error.code).toBe('INVALID_JSON');
    p.send({ type: 'dance' });
    const unknown = await p.next();
    expect(unknown.error).toMatchObject({ code: 'UNKNOWN_FRAME_TYPE' });
    p.send({ type: 'send', id: 'm1', action: 'AddTo' });
    const missing = await p.next();
    expect(missing).toMatchObject({ type: 'error', id: 'm1', error: { code: 'BAD_FRAME' } });
    expect(missing.error.details).toEqual([{ pointer: '/itinerary', message: expect.any(String) }]);
    p.send({ type: 'ack' });
    expect((await p.next()).error.code).toBe('BAD_FRAME');
    p.send('[1,2]');
    expect((await p.next()).error.code).toBe('BAD_FRAME');
    p.send({ noType: true });
    expect((await p.next()).error.details[0].pointer).toBe('/type');
    // Still usable.
    expect((await p.call('ok', 'echo', 'Hi', {})).type).toBe('accepted');
    expect(p.ws.readyState).toBe(WebSocket.OPEN);
    await p.close();
    await bystanderStillWorks('malformed');
  });

  it('a binary frame is UNSUPPORTED_FRAME; ten in a row close the socket with 1003', async () => {
    const p = await WsProbe.open(srv.url);
    p.send(Buffer.from([1, 2, 3]));
    expect((await p.next()).error.code).toBe('UNSUPPORTED_FRAME');
    for (let i = 0; i < 9; i++) p.send(Buffer.from([i]));
    expect((await p.closed).code).toBe(1003);
    expect(p.frames.filter((f) => f.error?.code === 'UNSUPPORTED_FRAME')).toHaveLength(10);
    await bystanderStillWorks('binary');
  });

  it('ten malformed frames in a row close with 1007; a good frame in between resets the count', async () => {
    const p = await WsProbe.open(srv.url);
    for (let i = 0; i < 9; i++) p.send('not json');
    p.send({ type: 'ping' });
    await p.next((f) => f.type === 'pong');
    for (let i = 0; i < 9; i++) p.send('not json');
    p.send({ type: 'ping' });
    await p.next((f) => f.type === 'pong');
    expect(p.ws.readyState).toBe(WebSocket.OPEN);
    for (let i = 0; i < 10; i++) p.send('{bad');
    expect((await p.closed).code).toBe(1007);
    await bystanderStillWorks('invalid');
  });

  it('a frame before hello is HELLO_REQUIRED; hello still works afterwards', async () => {
    const p = await WsProbe.connect(srv.url);
    p.send({ type: 'send', id: 'early', itinerary: 'echo', action: 'Hi', body: {} });
    expect(await p.next()).toMatchObject({ type: 'error', id: 'early', error: { code: 'HELLO_REQUIRED' } });
    p.send({ type: 'ack', seq: 1 });
    expect((await p.next()).error.code).toBe('HELLO_REQUIRED');
    p.send({ type: 'hello' });
    expect((await p.next()).type).toBe('welcome');
    await p.close();
  });

  it('a second hello on the same socket is BAD_FRAME', async () => {
    const p = await WsProbe.open(srv.url);
    p.send({ type: 'hello' });
    expect((await p.next((f) => f.type === 'error')).error.code).toBe('BAD_FRAME');
    await p.close();
  });

  it('an oversize frame gets PAYLOAD_TOO_LARGE (naming the send) and close 1009; others carry on', async () => {
    const p = await WsProbe.open(srv.url);
    p.send({ type: 'send', id: 'big', itinerary: 'echo', action: 'Hi', body: { s: 'x'.repeat(5000) } });
    const e = await p.next((f) => f.type === 'error');
    expect(e).toMatchObject({ id: 'big', error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect((await p.closed).code).toBe(1009);
    await bystanderStillWorks('oversize');
  });

  it('a frame past the hard cap is cut by the socket library with 1009 (no error frame)', async () => {
    const p = await WsProbe.open(srv.url);
    p.send('x'.repeat(4096 + 70 * 1024));
    expect((await p.closed).code).toBe(1009);
    await bystanderStillWorks('hardcap');
  });

  it('a gateway refusal (ITINERARY_NOT_FOUND) is an error frame with the id; nothing is accepted', async () => {
    const p = await WsProbe.open(srv.url);
    const before = srv.gateway.accepted.length;
    const e = await p.call('nf', 'nope', 'Hi', {});
    expect(e).toMatchObject({ type: 'error', id: 'nf', error: { code: 'ITINERARY_NOT_FOUND', message: expect.stringContaining('nope') } });
    const v = await p.call('nv', 'echo', 'Hi', {}, '9.9.9');
    expect(v.error.code).toBe('ITINERARY_NOT_FOUND');
    expect(srv.gateway.accepted.length).toBe(before);
    expect(p.outbox()).toEqual([]);
    await p.close();
    await bystanderStillWorks('refusal');
  });

  it('a socket without the itinera.v1 subprotocol is refused at the upgrade with 400', async () => {
    const err = await WsProbe.connect(srv.url, { protocol: null }).catch((e) => e);
    expect(err.status).toBe(400);
    const other = await WsProbe.connect(srv.url, { protocol: 'chat' }).catch((e) => e);
    expect(other.status).toBe(400);
  });

  it('an upgrade on another path is refused with 404', async () => {
    const err = await WsProbe.connect(srv.url, { path: '/elsewhere' }).catch((e) => e);
    expect(err.status).toBe(404);
  });

  it('resume with a wrong or missing token is UNAUTHORIZED; an unknown session is SESSION_NOT_FOUND', async () => {
    const owner = await WsProbe.open(srv.url);
    for (const hello of [
      { type: 'hello', session: owner.session, token: 'wrong-token', lastSeq: 0 },
      { type: 'hello', session: owner.session },
    ]) {
      const p = await WsProbe.connect(srv.url);
      p.send(hello);
      expect(await p.next()).toMatchObject({ type: 'error', error: { code: 'UNAUTHORIZED' } });
      // Not in a session: a send is refused.
      p.send({ type: 'send', id: 's', itinerary: 'echo', action: 'Hi', body: {} });
      expect((await p.next()).error.code).toBe('HELLO_REQUIRED');
      await p.close();
    }
    const p = await WsProbe.connect(srv.url);
    p.send({ type: 'hello', session: 'no-such-session', token: owner.token, lastSeq: 0 });
    expect((await p.next()).error.code).toBe('SESSION_NOT_FOUND');
    await p.close();
    // The owner's session was not disturbed.
    expect((await owner.call('still', 'echo', 'Hi', {})).type).toBe('accepted');
    await owner.close();
  });

  it('bye ends the session for good and closes 1000; it cannot be resumed', async () => {
    const p = await WsProbe.open(srv.url);
    p.send({ type: 'bye' });
    expect((await p.closed).code).toBe(1000);
    const again = await WsProbe.connect(srv.url);
    again.send({ type: 'hello', session: p.session, token: p.token, lastSeq: 0 });
    expect((await again.next()).error.code).toBe('SESSION_NOT_FOUND');
    await again.close();
  });

  it('sends of one session are accepted in the order sent', async () => {
    const p = await WsProbe.open(srv.url);
    for (let i = 0; i < 20; i++) p.send({ type: 'send', id: `o${i}`, itinerary: 'calculator', action: 'AddTo', body: { n: i } });
    const frames = await p.waitOutbox(20);
    const accepted = p.frames.filter((f) => f.type === 'accepted').map((f) => f.id);
    expect(accepted).toEqual(Array.from({ length: 20 }, (_, i) => `o${i}`));
    expect(frames.map((f) => f.body.result)).toEqual(Array.from({ length: 20 }, (_, i) => (i * (i + 1)) / 2));
    await p.close();
  });
});
