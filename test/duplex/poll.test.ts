import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../support/ports';
import { startDuplexServer, type DuplexTestServer } from './support/server';
import { PollProbe, request } from './support/poll-probe';

describe('long-polling duplex', () => {
  let srv: DuplexTestServer;

  beforeAll(async () => {
    srv = await startDuplexServer({ ws: false, options: { pollTimeoutMs: 300, pollBatch: 5, maxFrameBytes: 2048 } });
  });
  afterAll(async () => srv.close());

  it('POST /duplex/sessions → 201 with session, token, pollTimeoutMs, inactivityTimeoutMs', async () => {
    const r = await request(`${srv.url}/duplex/sessions`, { method: 'POST' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ session: expect.any(String), token: expect.any(String), pollTimeoutMs: 300, inactivityTimeoutMs: 600000 });
    expect(r.headers.get('location')).toBe(`/duplex/sessions/${r.body.session}`);
    expect(r.headers.get('cache-control')).toBe('no-store');
    // A JSON body (even empty) is fine too.
    expect((await request(`${srv.url}/duplex/sessions`, { body: {} })).status).toBe(201);
    expect((await request(`${srv.url}/duplex/sessions`, { method: 'POST', raw: '', headers: { 'content-type': 'application/json' } })).status).toBe(201);
  });

  it('send → 202 with the accepted frame; the callback comes on the next poll at once', async () => {
    const p = await PollProbe.start(srv.url);
    const a = await p.send('m1', 'echo', 'Hi', { v: 1 });
    expect(a.status).toBe(202);
    expect(a.body).toMatchObject({ type: 'accepted', id: 'm1', messageId: expect.any(String), correlationId: expect.any(String), itinerary: 'echo@1.0.0' });
    expect(a.headers.get('itinera-message-id')).toBe(a.body.messageId);
    const r = await p.poll(0);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      items: [{ type: 'callback', seq: 1, action: 'Echo', correlationId: a.body.correlationId, body: { v: 1 }, id: 'm1' }],
      more: false,
    });
    const reply = await p.send('m2', 'echo', 'Reply', { q: 1 });
    expect(reply.status).toBe(202);
    expect(reply.body.reply).toEqual({ echoed: { q: 1 } });
    expect(srv.gateway.accepted.find((m) => m.clientMessageId === 'm2')).toMatchObject({ session: p.session, transport: 'poll' });
  });

  it('an idle poll answers { items: [] } after the poll timeout', async () => {
    const p = await PollProbe.start(srv.url);
    const r = await p.poll(0);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ items: [], more: false });
  });

  it('a held poll answers as soon as a callback is pushed', async () => {
    const p = await PollProbe.start(srv.url);
    const held = p.poll(0);
    await sleep(50);
    await srv.gateway.push(p.session, 'Late', { n: 1 });
    const r = await held;
    expect(r.body.items).toEqual([expect.objectContaining({ seq: 1, action: 'Late', body: { n: 1 } })]);
  });

  it('after=N acknowledges up to N; more is true when more than a batch is pending', async () => {
    const p = await PollProbe.start(srv.url);
    await p.send('many', 'echo', 'Many', { n: 12 });
    let got: number[] = [];
    let after = 0;
    const answers: boolean[] = [];
    while (got.length < 12) {
      const r = await p.poll(after);
      answers.push(r.body.more);
      got = got.concat(r.body.items.map((f: { seq: number }) => f.seq));
      after = got.at(-1) ?? after;
    }
    expect(got).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(answers).toEqual([true, true, false]);
    // Polling again with an earlier `after` gives only what is still unacknowledged.
    const again = await p.poll(5);
    expect(again.body.items.map((f: { seq: number }) => f.seq)).toEqual([11, 12]);
    expect((await p.poll(12)).body.items).toEqual([]);
    expect((await srv.sessions.get(p.session))?.ackedSeq).toBe(12);
  });

  it('a second poll of the same session answers the first with empty items', async () => {
    const p = await PollProbe.start(srv.url);
    const first = p.poll(0);
    await sleep(50);
    const second = p.poll(0);
    const r1 = await first;
    expect(r1.body).toEqual({ items: [], more: false });
    await srv.gateway.push(p.session, 'ForSecond', {});
    expect((await second).body.items[0].action).toBe('ForSecond');
  });

  it('wrong or missing token → 401 UNAUTHORIZED problem; unknown session → 404 SESSION_NOT_FOUND', async () => {
    const p = await PollProbe.start(srv.url);
    for (const token of ['wrong', null]) {
      const send = await p.send('x', 'echo', 'Hi', {}, token);
      expect(send.status).toBe(401);
      expect(send.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(send.headers.get('www-authenticate')).toBe('Bearer');
      expect(send.body).toMatchObject({ type: '/problems/unauthorized', title: 'Unauthorized', status: 401, code: 'UNAUTHORIZED', detail: expect.any(String) });
      expect((await p.poll(0, token)).status).toBe(401);
      expect((await p.end(token)).status).toBe(401);
    }
    expect(srv.gateway.accepted.filter((m) => m.session === p.session)).toEqual([]);
    const ghost = new PollProbe(srv.url, 'no-such-session', p.token);
    const nf = await ghost.poll(0);
    expect(nf.status).toBe(404);
    expect(nf.body).toMatchObject({ code: 'SESSION_NOT_FOUND', status: 404, type: '/problems/session-not-found' });
    expect((await ghost.send('x', 'echo', 'Hi', {})).body.code).toBe('SESSION_NOT_FOUND');
  });

  it('bad bodies: invalid JSON 400, missing fields 400 with pointers, wrong media type 415, too large 413; refusals carry the id', async () => {
    const p = await PollProbe.start(srv.url);
    const url = `${p.url}/messages`;
    const bad = await request(url, { token: p.token, raw: '{"id":', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('INVALID_JSON');
    const missing = await request(url, { token: p.token, body: { id: 'm', action: 'Hi' } });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 'BAD_REQUEST', id: 'm', errors: [{ pointer: '/itinerary', message: expect.any(String) }] });
    const media = await request(url, { token: p.token, raw: 'id=1', headers: { 'content-type': 'text/plain' } });
    expect(media.status).toBe(415);
    expect(media.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const big = await p.send('big', 'echo', 'Hi', { s: 'x'.repeat(3000) });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('PAYLOAD_TOO_LARGE');
    const nf = await p.send('nf', 'nope', 'Hi', {});
    expect(nf.status).toBe(404);
    expect(nf.body).toMatchObject({ code: 'ITINERARY_NOT_FOUND', id: 'nf', instance: `/duplex/sessions/${p.session}/messages` });
    const after = await p.poll(-1);
    expect(after.status).toBe(400);
    expect(after.body.code).toBe('BAD_REQUEST');
  });

  it('GET /duplex/sessions/{S} tells where the session stands (resume check)', async () => {
    const p = await PollProbe.start(srv.url);
    await srv.gateway.push(p.session, 'One', {});
    const r = await request(p.url, { token: p.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ session: p.session, lastSeq: 1, ackedSeq: 0, pollTimeoutMs: 300 });
    expect((await request(p.url, { token: 'nope' })).status).toBe(401);
  });

  it('DELETE ends the session: 204, then 404; a held poll answers with closing ended', async () => {
    const p = await PollProbe.start(srv.url);
    const held = p.poll(0);
    await sleep(50);
    const d = await p.end();
    expect(d.status).toBe(204);
    expect((await held).body).toEqual({ items: [], more: false, closing: { reason: 'ended' } });
    expect((await p.poll(0)).status).toBe(404);
  });
});

describe('long polling on a closing server', () => {
  it('held polls answer at once with closing shutdown and retryAfterMs; new polls too', async () => {
    const srv = await startDuplexServer({ ws: false, options: { pollTimeoutMs: 10_000 } });
    const p = await PollProbe.start(srv.url);
    await srv.gateway.push(p.session, 'Pending', {});
    expect((await p.poll(0)).body.items).toHaveLength(1);
    const held = p.poll(1); // acknowledges seq 1, then waits
    await sleep(50);
    expect(srv.poll.heldPolls()).toBe(1);
    await srv.poll.close({ reason: 'shutdown', retryAfterMs: 1234 });
    expect((await held).body).toEqual({ items: [], more: false, closing: { reason: 'shutdown', retryAfterMs: 1234 } });
    await srv.gateway.push(p.session, 'Later', {});
    const now = await p.poll(1);
    expect(now.body).toMatchObject({ items: [{ seq: 2, action: 'Later' }], closing: { reason: 'shutdown', retryAfterMs: 1234 } });
    const refused = await p.send('late', 'echo', 'Hi', {});
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('SHUTTING_DOWN');
    expect(refused.headers.get('retry-after')).toBe('2');
    await srv.close();
  });

  it('fastify.close() answers held polls (preClose) instead of hanging', async () => {
    const srv = await startDuplexServer({ ws: false, options: { pollTimeoutMs: 20_000 } });
    const p = await PollProbe.start(srv.url);
    const held = p.poll(0);
    await sleep(50);
    await srv.app.close();
    const r = await held;
    expect(r.body.closing.reason).toBe('shutdown');
  });
});
