import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../../support/ports';
import {
  Refused,
  type DriverSession,
  type CaseName,
  type DuplexDriver,
  type NodeTarget,
  type OutboxFrame,
  type SessionRef,
  type Transport,
} from './duplex-driver';
import {
  DRIVER_CLASSES,
  OTHER_TRANSPORT,
  SETTINGS,
  TRANSPORTS,
  prepareConformance,
  type Credentials,
  type StartTopology,
  type Topology,
} from './conformance-setup';

/** The session as the server holds it (`GET /duplex/sessions/{S}`, the resume check). */
async function held(node: NodeTarget, ref: SessionRef): Promise<{ lastSeq: number; ackedSeq: number }> {
  const r = await fetch(`${node.url}/duplex/sessions/${ref.session}`, { headers: { authorization: `Bearer ${ref.token}` } });
  return (await r.json()) as { lastSeq: number; ackedSeq: number };
}

/** A message for a session sent over HTTP while its client is away (any transport's session takes them). */
async function sendWhileAway(node: NodeTarget, ref: SessionRef, action: string, body: unknown): Promise<void> {
  const r = await fetch(`${node.url}/duplex/sessions/${ref.session}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ref.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: `away-${action}`, itinerary: 'calculator', action, body }),
  });
  expect(r.status).toBe(202);
}

/** The SESSION_EXPIRED faults of one session (`GET /faults`, then each record), or undefined while there are none. */
async function expiredFaults(node: NodeTarget, admin: string, session: string): Promise<any[] | undefined> {
  const get = async (path: string) => (await fetch(`${node.url}${path}`, { headers: { authorization: `Bearer ${admin}` } })).json() as Promise<any>;
  const expired = ((await get('/faults?limit=1000')).faults as any[]).filter((f) => f.error.code === 'SESSION_EXPIRED');
  const records = await Promise.all(expired.map((f) => get(`/faults/${f.id}`)));
  const mine = records.filter((f) => f.envelope?.origin?.session === session);
  return mine.length ? mine : undefined;
}

const seqs = (frames: OutboxFrame[]) => frames.map((f) => f.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * One case for every transport. A transport that cannot do it by design (its driver's
 * `notApplicable`) is reported skipped, the reason in the title.
 */
function eachTransport(
  what: string | ((t: Transport) => string),
  fn: (t: Transport) => Promise<void>,
  opts: { unless?: CaseName; concurrent?: boolean } = {},
): void {
  for (const t of TRANSPORTS) {
    const why = opts.unless && DRIVER_CLASSES[t].notApplicable[opts.unless];
    if (why) it.skip(`${t}: not applicable by design: ${why}`, () => undefined);
    else (opts.concurrent ? it.concurrent : it)(`${t}: ${typeof what === 'string' ? what : what(t)}`, () => fn(t));
  }
}

/**
 * One conformance suite for the four duplex transports, run on a topology (the embedded
 * box, or BullMQ with two gateways). Each case runs for every transport; a transport that
 * cannot do a case by design is skipped with the reason PROTOCOL.md gives.
 */
export function describeDuplexConformance(name: string, start: StartTopology): void {
  describe(`duplex conformance: ${name}`, () => {
    let top: Topology;
    let cred: Credentials;
    let drivers: Record<Transport, DuplexDriver>;
    let cleanup: () => Promise<void>;
    const node = (i: 0 | 1) => top.nodes[i];
    const open = (t: Transport, i: 0 | 1 = 0, autoAck = true) => drivers[t].open(node(i), { credential: cred.apiKey, autoAck });

    beforeAll(async () => {
      const prepared = await prepareConformance();
      ({ credentials: cred, drivers, cleanup } = prepared);
      top = await start(prepared.env);
    }, 120_000);
    afterAll(async () => {
      // The bus first: the webhook receiver stays up while it delivers.
      await top?.stop();
      await cleanup?.();
    });

    describe('order: one sequence from 1, no gaps, no duplicates', () => {
      eachTransport('the calculator of SAMPLES.md, then a burst', async (t) => {
        const s = await open(t);
        for (const [action, n] of [
          ['AddTo', 100],
          ['SubtractFrom', 50],
          ['MultiplyBy', 3],
          ['DivideBy', 2],
          ['DivideBy', 0],
        ] as const)
          expect(await s.send('calculator', action, { n })).toMatchObject({ accepted: true });
        expect(await s.send('calculator', 'Clear')).toMatchObject({ accepted: true });
        await s.waitForSeq(6);
        expect(seqs(s.frames)).toEqual(range(1, 6));
        expect(s.frames.slice(0, 4).map((f) => f.body.result)).toEqual([100, 50, 150, 75]);
        expect(s.frames[4]).toMatchObject({ type: 'fault', error: { code: 'DIVIDE_BY_ZERO' } });
        expect(s.frames[5]).toMatchObject({ type: 'callback', action: 'Equation', body: { equation: '0 + 100 - 50 * 3 / 2 = 75' } });
        // Eight sends at once: whatever order they are accepted in, AddTo 1 makes the k-th callback's result k.
        const answers = await Promise.all(range(1, 8).map(() => s.send('calculator', 'AddTo', { n: 1 })));
        expect(answers.every((a) => a.accepted)).toBe(true);
        await s.waitForSeq(14);
        await sleep(100);
        expect(seqs(s.frames)).toEqual(range(1, 14));
        expect(s.frames.slice(6).map((f) => f.body.result)).toEqual(range(1, 8));
        await s.end();
      });

      eachTransport('the chat: fan-out from the other node joins each member’s sequence', async (t) => {
        const [a, b] = [await open(t, 0), await open(t, 1)];
        await a.send('chat', 'RegisterClient', { name: `${t}-a` });
        await a.waitForSeq(1);
        await b.send('chat', 'RegisterClient', { name: `${t}-b` });
        await b.waitForSeq(1);
        await a.send('chat', 'SendMessage', { text: 'one' });
        await b.send('chat', 'SendMessage', { text: 'two' });
        for (const s of [a, b]) {
          await s.waitForSeq(3);
          expect(seqs(s.frames)).toEqual([1, 2, 3]);
          expect(s.frames.slice(1).map((f) => f.body.text)).toEqual([`${t}-a: one`, `${t}-b: two`]);
        }
        for (const s of [a, b]) await s.send('chat', 'UnRegisterClient', { clientId: s.frames[0]!.body.clientId });
        await Promise.all([a.waitForSeq(4), b.waitForSeq(4)]);
        await Promise.all([a.end(), b.end()]);
      });
    });

    describe('acknowledgement and replay', () => {
      eachTransport('after ack 2 and a reconnect only the unacknowledged frames come again, once, in order', async (t) => {
        const d = drivers[t];
        const s = await open(t, 0, false);
        for (const n of [1, 2, 3]) await s.send('calculator', 'AddTo', { n });
        await s.waitForSeq(3);
        await s.ack(2);
        // Dual HTTP acknowledges each frame by its 2xx: all three are.
        const acked = d.acksOnReceipt ? 3 : 2;
        await waitFor(async () => (await held(node(0), s.ref)).ackedSeq === acked, `ackedSeq ${acked}`, 10_000, 50);
        await s.disconnect();
        await sendWhileAway(node(0), s.ref, 'AddTo', { n: 4 });
        await waitFor(async () => (await held(node(0), s.ref)).lastSeq === 4, 'seq 4 produced while away', 15_000, 50);

        const r = await d.resume(node(0), s.ref, { autoAck: false });
        await r.waitForSeq(4);
        await sleep(150);
        expect(seqs(r.frames)).toEqual(range(acked + 1, 4));
        expect(r.frames.at(-1)!.body).toEqual({ result: 10 });
        await r.send('calculator', 'AddTo', { n: 5 });
        await r.waitForSeq(5);
        expect(r.frames.at(-1)).toMatchObject({ seq: 5, body: { result: 15 } });
        await r.end();
      });
    });

    describe('resume across nodes and transports', () => {
      eachTransport('resume on the other node, the state and the sequence carry on', async (t) => {
        const s = await open(t, 0);
        await s.send('calculator', 'AddTo', { n: 2 });
        await s.waitForSeq(1);
        await waitFor(async () => (await held(node(0), s.ref)).ackedSeq === 1, 'acknowledged', 10_000, 50);
        await s.disconnect();
        const r = await drivers[t].resume(node(1), s.ref);
        await r.send('calculator', 'MultiplyBy', { n: 5 });
        await r.waitForSeq(2);
        expect(r.frames).toEqual([expect.objectContaining({ seq: 2, body: { result: 10 } })]);
        await r.end();
      });

      eachTransport(
        (t) => `opened on the first node, resumed over ${OTHER_TRANSPORT[t]} on the other, the unacknowledged frame replayed`,
        async (t) => {
          const u = OTHER_TRANSPORT[t];
          const s = await open(t, 0, false);
          await s.send('calculator', 'AddTo', { n: 3 });
          await s.send('calculator', 'AddTo', { n: 4 });
          await s.waitForSeq(2);
          await s.ack(1);
          await waitFor(async () => (await held(node(0), s.ref)).ackedSeq === 1, 'acknowledged 1', 10_000, 50);
          await s.disconnect();
          // Handled nothing beyond 1: seq 2 comes again over the other transport, then the sequence carries on.
          const r = await drivers[u].resume(node(1), s.ref, { lastSeq: 1 });
          await r.waitForSeq(2);
          await r.send('calculator', 'Clear');
          await r.waitForSeq(3);
          expect(seqs(r.frames)).toEqual([2, 3]);
          expect(r.frames[1]!.body).toEqual({ equation: '0 + 3 + 4 = 7' });
          await r.end();
        },
        { unless: 'cross-transport' },
      );
    });

    describe('heartbeats and expiry', () => {
      const LIVENESS = { ws: 'server-ping', tcp: 'client-ping', poll: 'poll-hold' } as Record<Transport, string>;
      eachTransport(
        (t) => `${LIVENESS[t]} keeps an idle session alive; a silent client loses its link, not its session`,
        async (t) => {
          const d = drivers[t];
          const live = await d.observeLiveness(node(0), 4 * SETTINGS.heartbeatMs, cred.apiKey);
          expect(live.kind).toBe(LIVENESS[t]);
          expect(live.beats).toBeGreaterThanOrEqual(2);
          // WebSocket and TCP drop a client silent for two heartbeats; a poller holds no connection to drop.
          const silent = await d.goSilent(node(0), 6 * SETTINGS.heartbeatMs, cred.apiKey);
          expect(silent.dropped).toBe(t !== 'poll');
          const back = await d.resume(node(0), silent.ref);
          expect(back.ref.session).toBe(silent.ref.session);
          await back.end();
        },
        { unless: 'heartbeat', concurrent: true },
      );

      eachTransport(
        'an idle session expires: resume is SESSION_NOT_FOUND, its pending frame a SESSION_EXPIRED fault',
        async (t) => {
          const d = drivers[t];
          const s = await open(t, 0, false);
          // Dual HTTP: the receiver is down, so the callback stays pending.
          if (d.acksOnReceipt) await s.disconnect();
          await s.send('calculator', 'AddTo', { n: 7 });
          if (!d.acksOnReceipt) await s.waitForSeq(1);
          await s.disconnect();
          const faults = await waitFor(
            async () => expiredFaults(node(1), cred.admin, s.ref.session),
            'the SESSION_EXPIRED fault',
            SETTINGS.sessionTtlMs * 4,
            250,
          );
          expect(faults.map((f) => f.envelope.body)).toEqual([expect.objectContaining({ type: 'callback', seq: 1, action: 'Result', body: { result: 7 } })]);
          await expect(d.resume(node(1), s.ref)).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
        },
        { concurrent: true },
      );
    });

    describe('outbox limit', () => {
      eachTransport('past ITINERA_OUTBOX_LIMIT unacknowledged frames the producing message faults SESSION_OUTBOX_FULL', async (t) => {
        const d = drivers[t];
        const limit = SETTINGS.outboxLimit;
        const s = await open(t, 0, false);
        if (d.acksOnReceipt) await s.disconnect();
        for (let i = 1; i <= limit + 1; i++) expect(await s.send('calculator', 'AddTo', { n: 1 })).toMatchObject({ accepted: true });
        const r = d.acksOnReceipt ? await d.resume(node(0), s.ref) : s;
        await r.waitForSeq(limit + 1);
        expect(seqs(r.frames)).toEqual(range(1, limit + 1));
        expect(r.frames.slice(0, limit).every((f) => f.type === 'callback')).toBe(true);
        // The fault frame itself is never lost to the full outbox: it may exceed the limit.
        expect(r.frames[limit]).toMatchObject({ type: 'fault', error: { code: 'SESSION_OUTBOX_FULL' } });
        await r.ack(limit + 1);
        await r.send('calculator', 'Clear');
        await r.waitForSeq(limit + 2);
        expect(r.frames.at(-1)).toMatchObject({ type: 'callback', action: 'Equation' });
        await r.end();
      });
    });

    describe('authentication and origin', () => {
      eachTransport('ITINERA_AUTH=required: no or a wrong credential is UNAUTHORIZED; an API key or a JWT opens', async (t) => {
        const d = drivers[t];
        await expect(d.open(node(0), {})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
        await expect(d.open(node(0), { credential: 'not-a-key-0123456789abcdef' })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
        for (const credential of [cred.apiKey, cred.jwt]) {
          const s: DriverSession = await d.open(node(0), { credential });
          expect(await s.send('calculator', 'AddTo', { n: 1 })).toMatchObject({ accepted: true });
          await s.waitForSeq(1);
          // A resume needs the session's token; a wrong one is UNAUTHORIZED.
          await expect(d.resume(node(1), { ...s.ref, token: `${s.ref.token}x` })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
          await s.end();
        }
      });

      eachTransport(
        'a page of an origin not in ITINERA_ALLOWED_ORIGINS is FORBIDDEN; a listed one opens',
        async (t) => {
          const d = drivers[t];
          const refused = await d.open(node(0), { credential: cred.apiKey, origin: SETTINGS.foreignOrigin }).catch((e: unknown) => e);
          expect(refused).toBeInstanceOf(Refused);
          expect(refused).toMatchObject({ code: 'FORBIDDEN', status: 403 });
          const s = await d.open(node(0), { credential: cred.apiKey, origin: SETTINGS.allowedOrigin });
          await s.end();
        },
        { unless: 'origin' },
      );
    });
  });
}
