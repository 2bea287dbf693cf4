import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ItineraError, type OutboxDraft, type SessionStore } from '@itinera/core';

export interface SessionStoreFactoryOptions {
  ttlMs: number;
  /** The store's clock: the suite moves it instead of sleeping. */
  now: () => number;
}

export type SessionStoreFactory = (opts: SessionStoreFactoryOptions) => SessionStore | Promise<SessionStore>;

const TTL = 60_000;
const START = 1_700_000_000_000;
const FAULT = { limit: 1000, overflow: 'fault' } as const;

const callback = (n: number): OutboxDraft => ({ type: 'callback', action: 'Result', correlationId: `c-${n}`, body: { n } });

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ItineraError);
    return (err as ItineraError).code;
  }
  return 'NO_ERROR';
}

/** Push until the listener reports a wake-up (a fresh subscription may take a moment to reach the server). */
async function pushUntilWoken(store: SessionStore, id: string, woken: () => boolean): Promise<number> {
  let pushes = 0;
  for (let i = 0; i < 200 && !woken(); i++) {
    await store.push(id, callback(i), FAULT);
    pushes++;
    for (let j = 0; j < 10 && !woken(); j++) await new Promise((r) => setTimeout(r, 5));
  }
  expect(woken()).toBe(true);
  return pushes;
}

async function waitUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(done()).toBe(true);
}

/** One behaviour, every backend: run this against each SessionStore. */
export function describeSessionStore(name: string, factory: SessionStoreFactory): void {
  describe(`SessionStore conformance: ${name}`, () => {
    let store: SessionStore;
    let clock: number;

    beforeEach(async () => {
      clock = START;
      store = await factory({ ttlMs: TTL, now: () => clock });
    });
    afterEach(async () => {
      await store.close();
    });

    describe('create and authenticate', () => {
      it('creates sessions with distinct ids and long random tokens', async () => {
        const a = await store.create();
        const b = await store.create();
        expect(a.id).not.toBe(b.id);
        expect(a.token).not.toBe(b.token);
        // 128 random bits or more, base64url.
        expect(a.token).toMatch(/^[A-Za-z0-9_-]{22,}$/);
        const info = await store.authenticate(a.id, a.token);
        expect(info).toMatchObject({ id: a.id, createdAt: START, lastSeen: START, lastSeq: 0, ackedSeq: 0 });
      });

      it('refuses a wrong or missing token with UNAUTHORIZED and an unknown id with SESSION_NOT_FOUND', async () => {
        const a = await store.create();
        const b = await store.create();
        expect(await codeOf(store.authenticate(a.id, 'not-the-token'))).toBe('UNAUTHORIZED');
        expect(await codeOf(store.authenticate(a.id, b.token))).toBe('UNAUTHORIZED');
        expect(await codeOf(store.authenticate(a.id, undefined))).toBe('UNAUTHORIZED');
        expect(await codeOf(store.authenticate(a.id, ''))).toBe('UNAUTHORIZED');
        expect(await codeOf(store.authenticate('00000000-0000-4000-8000-000000000000', a.token))).toBe('SESSION_NOT_FOUND');
        expect(await codeOf(store.authenticate('x'.repeat(10_000), a.token))).toBe('SESSION_NOT_FOUND');
        const err = await store.authenticate(a.id, 'nope').catch((e: ItineraError) => e);
        expect((err as ItineraError).status).toBe(401);
        expect((err as ItineraError).message).not.toContain(a.token);
      });

      it('keeps the principal that opened a session and gives it back on authenticate and get', async () => {
        const principal = { id: 'key:alice', kind: 'api-key' as const, name: 'alice', permissions: ['scope:orders.write'] };
        const { id, token } = await store.create({ principal });
        expect((await store.authenticate(id, token)).principal).toEqual(principal);
        expect((await store.get(id))?.principal).toEqual(principal);
        const anonymous = await store.create();
        expect((await store.authenticate(anonymous.id, anonymous.token)).principal).toBeUndefined();
      });

      it('records activity on authenticate and touch', async () => {
        const a = await store.create();
        clock += 1000;
        expect((await store.authenticate(a.id, a.token)).lastSeen).toBe(START + 1000);
        clock += 1000;
        await store.touch(a.id);
        expect((await store.get(a.id))?.lastSeen).toBe(START + 2000);
        expect(await store.get('00000000-0000-4000-8000-000000000000')).toBeUndefined();
        expect(await codeOf(store.touch('00000000-0000-4000-8000-000000000000'))).toBe('SESSION_NOT_FOUND');
      });
    });

    describe('outbox', () => {
      it('numbers 200 concurrent pushes from 1 without gaps and keeps them in order', async () => {
        const { id } = await store.create();
        const seqs = await Promise.all(Array.from({ length: 200 }, (_, i) => store.push(id, callback(i), FAULT)));
        expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
        const frames = await store.pending(id, 0);
        expect(frames.map((f) => f.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
        // Each frame is the draft that got that seq.
        for (const [i, seq] of seqs.entries()) expect(frames[seq - 1]).toMatchObject({ type: 'callback', correlationId: `c-${i}`, body: { n: i } });
        expect((await store.get(id))?.lastSeq).toBe(200);
      });

      it('appends a push with a known dedupe key only once and returns its first seq', async () => {
        const { id } = await store.create();
        const other = await store.create();
        expect(await store.push(id, callback(1), { ...FAULT, dedupeKey: 'step-a' })).toBe(1);
        expect(await store.push(id, callback(2), { ...FAULT, dedupeKey: 'step-b' })).toBe(2);
        expect(await store.push(id, callback(1), { ...FAULT, dedupeKey: 'step-a' })).toBe(1);
        expect(await store.push(other.id, callback(1), { ...FAULT, dedupeKey: 'step-a' })).toBe(1);
        expect((await store.pending(id, 0)).map((f) => f.seq)).toEqual([1, 2]);
      });

      it('keeps callback and fault frames as pushed, in one sequence', async () => {
        const { id } = await store.create();
        await store.push(id, { type: 'callback', action: 'Result', correlationId: 'k1', body: { total: 3, list: [], nested: { a: null } }, id: 'm1' }, FAULT);
        await store.push(id, { type: 'fault', correlationId: 'k2', error: { code: 'TIMEOUT', message: 'no answer', step: 'send' } }, FAULT);
        expect(await store.pending(id, 0)).toEqual([
          { type: 'callback', seq: 1, action: 'Result', correlationId: 'k1', body: { total: 3, list: [], nested: { a: null } }, id: 'm1' },
          { type: 'fault', seq: 2, correlationId: 'k2', error: { code: 'TIMEOUT', message: 'no answer', step: 'send' } },
        ]);
      });

      it('returns frames after a seq, at most max, and acknowledges cumulatively', async () => {
        const { id } = await store.create();
        for (let i = 1; i <= 5; i++) await store.push(id, callback(i), FAULT);
        expect((await store.pending(id, 2)).map((f) => f.seq)).toEqual([3, 4, 5]);
        expect((await store.pending(id, 0, 2)).map((f) => f.seq)).toEqual([1, 2]);
        expect(await store.pending(id, 5)).toEqual([]);

        await store.ack(id, 3);
        expect((await store.pending(id, 0)).map((f) => f.seq)).toEqual([4, 5]);
        expect((await store.get(id))?.ackedSeq).toBe(3);
        // Backwards: ignored.
        await store.ack(id, 1);
        expect((await store.get(id))?.ackedSeq).toBe(3);
        expect((await store.pending(id, 0)).map((f) => f.seq)).toEqual([4, 5]);
        // Beyond lastSeq: clamped, later pushes are still delivered.
        await store.ack(id, 99);
        expect(await store.get(id)).toMatchObject({ ackedSeq: 5, lastSeq: 5 });
        expect(await store.pending(id, 0)).toEqual([]);
        expect(await store.push(id, callback(6), FAULT)).toBe(6);
        expect((await store.pending(id, 5)).map((f) => f.seq)).toEqual([6]);
      });

      it('fails a push past the limit with SESSION_OUTBOX_FULL (overflow fault) without using a seq', async () => {
        const { id } = await store.create();
        const opts = { limit: 3, overflow: 'fault' } as const;
        for (let i = 1; i <= 3; i++) expect(await store.push(id, callback(i), opts)).toBe(i);
        const err = await store.push(id, callback(4), opts).catch((e: ItineraError) => e);
        expect(err).toBeInstanceOf(ItineraError);
        expect((err as ItineraError).code).toBe('SESSION_OUTBOX_FULL');
        expect((err as ItineraError).message).toMatch(/acknowledge/);
        expect((err as ItineraError).message).toMatch(/limit/);
        await store.ack(id, 1);
        expect(await store.push(id, callback(4), opts)).toBe(4);
        expect((await store.pending(id, 0)).map((f) => f.seq)).toEqual([2, 3, 4]);
      });

      it('discards the oldest pending frames past the limit (overflow drop-oldest)', async () => {
        const { id } = await store.create();
        const opts = { limit: 3, overflow: 'drop-oldest' } as const;
        for (let i = 1; i <= 5; i++) expect(await store.push(id, callback(i), opts)).toBe(i);
        const frames = await store.pending(id, 0);
        expect(frames.map((f) => f.seq)).toEqual([3, 4, 5]);
        expect(frames[0]).toMatchObject({ correlationId: 'c-3' });
      });

      it('refuses outbox operations on an unknown session', async () => {
        const unknown = '00000000-0000-4000-8000-000000000000';
        expect(await codeOf(store.push(unknown, callback(1), FAULT))).toBe('SESSION_NOT_FOUND');
        expect(await codeOf(store.pending(unknown, 0))).toBe('SESSION_NOT_FOUND');
        expect(await codeOf(store.ack(unknown, 1))).toBe('SESSION_NOT_FOUND');
      });
    });

    describe('state', () => {
      it('keeps per-session state apart and hands out copies', async () => {
        const a = await store.create();
        const b = await store.create();
        expect(await store.getState(a.id)).toEqual({});
        const input = { total: 5, items: [1, 2] };
        await store.setState(a.id, input);
        input.total = 99;
        const read = await store.getState(a.id);
        expect(read).toEqual({ total: 5, items: [1, 2] });
        (read.items as number[]).push(3);
        expect(await store.getState(a.id)).toEqual({ total: 5, items: [1, 2] });
        expect(await store.getState(b.id)).toEqual({});
        await store.setState(b.id, { total: 1 });
        expect(await store.getState(a.id)).toEqual({ total: 5, items: [1, 2] });
        expect(await codeOf(store.getState('00000000-0000-4000-8000-000000000000'))).toBe('SESSION_NOT_FOUND');
        expect(await codeOf(store.setState('00000000-0000-4000-8000-000000000000', {}))).toBe('SESSION_NOT_FOUND');
      });
    });

    describe('groups', () => {
      it('joins, leaves, and drops sessions that end or expire', async () => {
        const a = await store.create();
        const b = await store.create();
        const c = await store.create();
        await store.join('traders', a.id);
        await store.join('traders', b.id);
        await store.join('traders', b.id);
        await store.join('traders', c.id);
        await store.join('audit', a.id);
        expect(await store.members('traders')).toEqual([a.id, b.id, c.id].sort());
        expect(await store.members('nobody')).toEqual([]);

        await store.leave('traders', b.id);
        expect(await store.members('traders')).toEqual([a.id, c.id].sort());

        await store.end(a.id);
        expect(await store.members('traders')).toEqual([c.id]);
        expect(await store.members('audit')).toEqual([]);

        clock += TTL + 1;
        expect(await store.members('traders')).toEqual([]);
        expect(await codeOf(store.join('traders', '00000000-0000-4000-8000-000000000000'))).toBe('SESSION_NOT_FOUND');
      });
    });

    describe('wake-ups', () => {
      // Wake-ups are hints: a store may also wake a listener when its subscription
      // becomes active. `settle` waits until every listener has been woken once and
      // then for one more wake-up of `barrier`, after which no earlier wake-up is in flight.
      async function settle(counts: Record<string, () => number>, barrier: string): Promise<void> {
        for (const [id, count] of Object.entries(counts)) await pushUntilWoken(store, id, () => count() > 0);
        const seen = counts[barrier]!();
        await pushUntilWoken(store, barrier, () => counts[barrier]!() > seen);
      }

      it('wakes the listeners of a session when its outbox grows, and only them', async () => {
        const a = await store.create();
        const b = await store.create();
        let woken = 0;
        let other = 0;
        const off = store.subscribe(a.id, () => woken++);
        const offOther = store.subscribe(b.id, () => other++);
        await settle({ [a.id]: () => woken, [b.id]: () => other }, a.id);
        woken = 0;
        other = 0;
        await store.push(a.id, callback(1), FAULT);
        await waitUntil(() => woken > 0);
        expect(other).toBe(0);
        off();
        offOther();
      });

      it('stops waking a listener once it unsubscribes', async () => {
        const { id } = await store.create();
        let first = 0;
        let second = 0;
        const off1 = store.subscribe(id, () => first++);
        const off2 = store.subscribe(id, () => second++);
        await settle({ [id]: () => Math.min(first, second) }, id);
        off1();
        first = 0;
        second = 0;
        await store.push(id, callback(1), FAULT);
        await waitUntil(() => second > 0);
        expect(first).toBe(0);
        off2();
      });
    });

    describe('expiry', () => {
      it('expires idle sessions, returns what they had pending, then reports SESSION_NOT_FOUND', async () => {
        const idle = await store.create();
        const active = await store.create();
        for (let i = 1; i <= 3; i++) await store.push(idle.id, callback(i), FAULT);
        await store.ack(idle.id, 1);
        await store.setState(idle.id, { x: 1 });

        clock += TTL / 2;
        await store.touch(active.id);
        expect(await store.expireIdle(clock)).toEqual([]);

        clock += TTL / 2;
        // Idle past the TTL: gone for every operation, even before expireIdle collects it.
        expect(await codeOf(store.authenticate(idle.id, idle.token))).toBe('SESSION_NOT_FOUND');
        expect(await store.get(idle.id)).toBeUndefined();
        expect(await codeOf(store.push(idle.id, callback(9), FAULT))).toBe('SESSION_NOT_FOUND');

        const expired = await store.expireIdle(clock);
        expect(expired).toHaveLength(1);
        expect(expired[0]!.id).toBe(idle.id);
        expect(expired[0]!.pending.map((f) => f.seq)).toEqual([2, 3]);
        expect(expired[0]!.pending[0]).toMatchObject({ type: 'callback', correlationId: 'c-2', body: { n: 2 } });

        expect(await store.expireIdle(clock)).toEqual([]);
        expect(await codeOf(store.authenticate(idle.id, idle.token))).toBe('SESSION_NOT_FOUND');
        expect(await codeOf(store.getState(idle.id))).toBe('SESSION_NOT_FOUND');
        expect((await store.authenticate(active.id, active.token)).id).toBe(active.id);
      });

      it('expires many idle sessions in one call', async () => {
        const ids = new Set<string>();
        for (let i = 0; i < 150; i++) ids.add((await store.create()).id);
        clock += TTL;
        const expired = await store.expireIdle(clock);
        expect(new Set(expired.map((e) => e.id))).toEqual(ids);
        expect(expired.every((e) => e.pending.length === 0)).toBe(true);
      });
    });

    describe('end', () => {
      it('removes the session with its outbox and state, and is idempotent', async () => {
        const a = await store.create();
        const b = await store.create();
        await store.push(a.id, callback(1), FAULT);
        await store.setState(a.id, { x: 1 });
        await store.end(a.id);
        await store.end(a.id);
        expect(await codeOf(store.authenticate(a.id, a.token))).toBe('SESSION_NOT_FOUND');
        expect(await store.get(a.id)).toBeUndefined();
        expect(await codeOf(store.pending(a.id, 0))).toBe('SESSION_NOT_FOUND');
        expect(await store.expireIdle(clock + TTL * 10)).toEqual([{ id: b.id, pending: [] }]);
      });
    });
  });
}
