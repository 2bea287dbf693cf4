import { describe, expect, it } from 'vitest';
import { sleep } from '../support/ports';
import { startDuplexServer } from './support/server';
import { WsProbe } from './support/ws-probe';
import { PollProbe } from './support/poll-probe';

describe('heartbeat', () => {
  it('a client that does not answer pings is dropped; its session lives on and resumes', async () => {
    const srv = await startDuplexServer({ options: { heartbeatMs: 60 } });
    const deaf = await WsProbe.open(srv.url, undefined, { autoPong: false });
    const lively = await WsProbe.open(srv.url);
    await srv.gateway.push(deaf.session!, 'Kept', {});
    await deaf.waitOutbox(1);
    const { code } = await deaf.closed; // terminated: no close frame
    expect(code).toBe(1006);
    expect(await srv.sessions.get(deaf.session!)).toBeDefined();
    // The one that answers pings is still there.
    expect(lively.ws.readyState).toBe(lively.ws.OPEN);
    expect((await lively.call('x', 'echo', 'Hi', {})).type).toBe('accepted');
    // Unacknowledged frames come back on resume.
    const back = await WsProbe.open(srv.url, { session: deaf.session!, token: deaf.token, lastSeq: 0 });
    expect((await back.waitOutbox(1))[0]).toMatchObject({ seq: 1, action: 'Kept' });
    await back.close();
    await lively.close();
    await srv.close();
  });

  it('a socket that never says hello is closed with HELLO_REQUIRED and 1008', async () => {
    const srv = await startDuplexServer({ options: { heartbeatMs: 50 } });
    const p = await WsProbe.connect(srv.url);
    expect((await p.next((f) => f.type === 'error', 2000)).error.code).toBe('HELLO_REQUIRED');
    expect((await p.closed).code).toBe(1008);
    await srv.close();
  });
});

describe('shutdown', () => {
  it('sends in flight are answered, then closing shutdown with retryAfterMs and close 1001; new upgrades get 503', async () => {
    const srv = await startDuplexServer();
    const p = await WsProbe.open(srv.url);
    p.send({ type: 'send', id: 'slow', itinerary: 'slow', action: 'Wait', body: { ms: 150 } });
    await sleep(30);
    const closing = srv.ws!.close({ reason: 'shutdown', retryAfterMs: 750 });
    const accepted = await p.next((f) => f.type === 'accepted' || f.type === 'error');
    expect(accepted).toMatchObject({ type: 'accepted', id: 'slow' });
    expect(await p.next((f) => f.type === 'closing')).toMatchObject({ type: 'closing', reason: 'shutdown', retryAfterMs: 750 });
    // accepted came before closing
    expect(p.frames.findIndex((f) => f.type === 'accepted')).toBeLessThan(p.frames.findIndex((f) => f.type === 'closing'));
    expect((await p.closed).code).toBe(1001);
    await closing;
    expect(srv.ws!.connectionCount()).toBe(0);
    expect(await srv.sessions.get(p.session!)).toBeDefined();
    const refused = await WsProbe.connect(srv.url).catch((e) => e);
    expect(refused.status).toBe(503);
    await srv.close();
  });
});

describe('session expiry (sweeper)', () => {
  it('expired sessions: pending frames become SESSION_EXPIRED faults, WebSocket gets closing expired (4001), held polls too', async () => {
    let now = 1_000_000;
    const srv = await startDuplexServer({ ttlMs: 10_000, now: () => now, options: { pollTimeoutMs: 5000 } });
    const w = await WsProbe.open(srv.url);
    await srv.gateway.push(w.session!, 'Undelivered', { a: 1 });
    await srv.gateway.push(w.session!, 'Undelivered', { a: 2 });
    await w.waitOutbox(2); // received but never acknowledged
    const p = await PollProbe.start(srv.url);
    const held = p.poll(0);
    await sleep(50);
    const keep = await PollProbe.start(srv.url);

    now += 5000;
    // This one is active halfway: it stays.
    await srv.sessions.touch(keep.session);
    now += 5001;
    const { startSessionSweeper } = await import('@itinera/adapters');
    const { silentLogger } = await import('@itinera/core');
    const sweeper = startSessionSweeper({ sessions: srv.sessions, faults: srv.faults, logger: silentLogger, everyMs: 60_000, now: () => now });
    const expired = await sweeper.sweep();
    await sweeper.stop();
    expect(expired).toBe(2);

    expect(await w.next((f) => f.type === 'closing')).toMatchObject({ reason: 'expired' });
    expect((await w.closed).code).toBe(4001);
    expect((await held).body).toEqual({ items: [], more: false, closing: { reason: 'expired' } });
    expect(srv.faults.items).toHaveLength(2);
    expect(srv.faults.items[0]).toMatchObject({
      error: { code: 'SESSION_EXPIRED' },
      step: 'callback',
      envelope: { origin: { session: w.session, transport: 'internal' }, body: { type: 'callback', seq: 1, action: 'Undelivered', body: { a: 1 } } },
    });
    expect(srv.faults.items.map((f) => f.envelope.context.seq)).toEqual([1, 2]);
    expect((await p.poll(0)).status).toBe(404);
    await srv.close();
  });
});
