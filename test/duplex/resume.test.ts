import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../support/ports';
import { startDuplexServer, type DuplexTestServer } from './support/server';
import { WsProbe } from './support/ws-probe';
import { PollProbe, request } from './support/poll-probe';

const seqs = (frames: { seq: number }[]) => frames.map((f) => f.seq);

describe('resume and transport switches', () => {
  let srv: DuplexTestServer;

  beforeAll(async () => {
    srv = await startDuplexServer({ options: { pollTimeoutMs: 300 } });
  });
  afterAll(async () => srv.close());

  it('resume with lastSeq replays exactly the unacknowledged frames, in order, once; frames pushed while away follow', async () => {
    const p = await WsProbe.open(srv.url);
    const session = p.session!;
    for (let i = 1; i <= 5; i++) await srv.gateway.push(session, 'N', { i });
    expect(seqs(await p.waitOutbox(5))).toEqual([1, 2, 3, 4, 5]);
    p.send({ type: 'ack', seq: 2 });
    await waitFor(async () => (await srv.sessions.get(session))?.ackedSeq === 2, 'ack 2');
    await p.close();
    // Produced while disconnected.
    await srv.gateway.push(session, 'N', { i: 6 });
    await srv.gateway.push(session, 'N', { i: 7 });

    const r = await WsProbe.open(srv.url, { session, token: p.token, lastSeq: 3 });
    expect(r.frames[0]).toMatchObject({ type: 'welcome', session, token: p.token, resumed: true });
    expect(seqs(await r.waitOutbox(4))).toEqual([4, 5, 6, 7]);
    expect(r.outbox().map((f) => f.body.i)).toEqual([4, 5, 6, 7]);
    // lastSeq in hello is a cumulative ack.
    expect((await srv.sessions.get(session))?.ackedSeq).toBe(3);
    await srv.gateway.push(session, 'N', { i: 8 });
    await r.waitOutbox(5);
    await sleep(50);
    expect(seqs(r.outbox())).toEqual([4, 5, 6, 7, 8]);
    await r.close();

    // Resuming with an older lastSeq replays from what the server still holds (acked 3).
    const again = await WsProbe.open(srv.url, { session, token: p.token, lastSeq: 0 });
    expect(seqs(await again.waitOutbox(5))).toEqual([4, 5, 6, 7, 8]);
    await again.close();
  });

  it('deliveries stay in order with no duplicates under a burst of wake-ups', async () => {
    const p = await WsProbe.open(srv.url);
    await Promise.all(Array.from({ length: 200 }, (_, i) => srv.gateway.push(p.session!, 'B', { i })));
    const got = await p.waitOutbox(200);
    await sleep(50);
    expect(seqs(p.outbox())).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(got).toHaveLength(200);
    await p.close();
  });

  it('a session moves WebSocket → long polling → WebSocket with one sequence', async () => {
    const w = await WsProbe.open(srv.url);
    const session = w.session!;
    const token = w.token!;
    await w.call('a', 'calculator', 'AddTo', { n: 2 });
    expect((await w.waitOutbox(1))[0]).toMatchObject({ seq: 1, action: 'Result', body: { result: 2 } });
    await w.close();

    // Long polling: same session, same token, same seq.
    const p = new PollProbe(srv.url, session, token);
    expect((await p.send('b', 'calculator', 'MultiplyBy', { n: 5 })).status).toBe(202);
    const got = await p.poll(1);
    expect(got.body.items).toEqual([expect.objectContaining({ seq: 2, action: 'Result', body: { result: 10 } })]);
    expect((await srv.sessions.get(session))?.ackedSeq).toBe(1);
    expect((await p.send('c', 'calculator', 'Clear')).status).toBe(202);
    await waitFor(async () => (await srv.sessions.get(session))?.lastSeq === 3, 'the Equation callback');

    // And back to a WebSocket, having handled seq 2 over polling.
    const back = await WsProbe.open(srv.url, { session, token, lastSeq: 2 });
    const [eq] = await back.waitOutbox(1);
    expect(eq).toMatchObject({ seq: 3, action: 'Equation', body: { equation: '0 + 2 * 5 = 10' } });
    expect(srv.gateway.accepted.filter((m) => m.session === session).map((m) => m.transport)).toEqual(['ws', 'poll', 'poll']);
    await back.close();
  });

  it('a session started over long polling resumes over a WebSocket', async () => {
    const p = await PollProbe.start(srv.url);
    await p.send('x', 'echo', 'Hi', { from: 'poll' });
    const w = await WsProbe.open(srv.url, { session: p.session, token: p.token, lastSeq: 0 });
    expect((await w.waitOutbox(1))[0]).toMatchObject({ seq: 1, body: { from: 'poll' } });
    await w.close();
  });

  it('resuming the same session on a second socket closes the first with closing replaced (4002)', async () => {
    const first = await WsProbe.open(srv.url);
    const second = await WsProbe.open(srv.url, { session: first.session!, token: first.token, lastSeq: 0 });
    expect(await first.next((f) => f.type === 'closing')).toMatchObject({ type: 'closing', reason: 'replaced' });
    expect((await first.closed).code).toBe(4002);
    await srv.gateway.push(first.session!, 'OnlySecond', {});
    expect((await second.waitOutbox(1))[0].action).toBe('OnlySecond');
    expect(first.outbox()).toEqual([]);
    await second.close();
  });

  it('a WebSocket resume answers a held long poll of the session with closing replaced', async () => {
    const p = await PollProbe.start(srv.url);
    const held = p.poll(0);
    await sleep(50);
    const w = await WsProbe.open(srv.url, { session: p.session, token: p.token, lastSeq: 0 });
    expect((await held).body).toEqual({ items: [], more: false, closing: { reason: 'replaced' } });
    await w.close();
  });

  it('a long poll of a session does not end its WebSocket (a late poll after a switch is harmless)', async () => {
    const w = await WsProbe.open(srv.url);
    const p = new PollProbe(srv.url, w.session!, w.token!);
    const polled = p.poll(0);
    await srv.gateway.push(w.session!, 'Both', {});
    expect((await polled).body.items[0].action).toBe('Both');
    expect((await w.waitOutbox(1))[0].action).toBe('Both');
    await sleep(50);
    expect(w.ws.readyState).toBe(w.ws.OPEN);
    expect(w.frames.some((f) => f.type === 'closing')).toBe(false);
    await w.close();
  });

  it('bye on a WebSocket ends the session for long polling too', async () => {
    const w = await WsProbe.open(srv.url);
    w.send({ type: 'bye' });
    await w.closed;
    const r = await request(`${srv.url}/duplex/sessions/${w.session}/poll?after=0`, { token: w.token });
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('SESSION_NOT_FOUND');
  });
});
