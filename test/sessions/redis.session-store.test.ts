import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ItineraError } from '@itinera/core';
import { RedisSessionStore, createSessionStore } from '@itinera/sessions';
import { freePort, startRedis, waitFor, type RedisServer } from '@itinera/testing';
// The conformance suite is test code: it is not part of the lib's public index.
import { describeSessionStore } from '../../libs/sessions/test/session-store.conformance';

let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url);
});

afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
});

const freshPrefix = () => `{itinera-test-${randomBytes(4).toString('hex')}}`;

describeSessionStore('redis', ({ ttlMs, now }) => new RedisSessionStore({ redis: server.url, prefix: freshPrefix(), ttlMs, now }));

async function codeOf(p: Promise<unknown>): Promise<ItineraError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ItineraError);
  return err as ItineraError;
}

const draft = (n: number) => ({ type: 'callback' as const, action: 'Result', correlationId: `c-${n}`, body: { n } });
const FAULT = { limit: 10_000, overflow: 'fault' } as const;

describe('RedisSessionStore', () => {
  it('keeps every key under the hash-tagged prefix, with a TTL refreshed on activity', async () => {
    const prefix = freshPrefix();
    const store = new RedisSessionStore({ redis: server.url, prefix, ttlMs: 60_000, keyTtlMs: 120_000 });
    try {
      const { id, token } = await store.create();
      await store.push(id, draft(1), FAULT);
      await store.setState(id, { a: 1 });
      await store.join('g', id);
      const keys = (await admin.keys(`${prefix}*`)).sort();
      expect(keys).toEqual(
        [
          `${prefix}:duplex:group:g`,
          `${prefix}:duplex:joined:${id}`,
          `${prefix}:duplex:outbox:${id}`,
          `${prefix}:duplex:session:${id}`,
          `${prefix}:duplex:sessions`,
          `${prefix}:duplex:state:${id}`,
        ].sort(),
      );
      for (const kind of ['session', 'outbox', 'state', 'joined']) {
        const pttl = await admin.pttl(`${prefix}:duplex:${kind}:${id}`);
        expect(pttl, kind).toBeGreaterThan(60_000);
        expect(pttl, kind).toBeLessThanOrEqual(120_000);
      }
      // The token itself is never stored.
      const hash = await admin.hgetall(`${prefix}:duplex:session:${id}`);
      expect(JSON.stringify(hash)).not.toContain(token);
      expect(hash).toMatchObject({ lastSeq: '1', ackedSeq: '0' });

      await admin.pexpire(`${prefix}:duplex:outbox:${id}`, 5_000);
      await store.authenticate(id, token);
      expect(await admin.pttl(`${prefix}:duplex:outbox:${id}`)).toBeGreaterThan(60_000);
    } finally {
      await store.close();
    }
  });

  it('lets any process resume a session, read its outbox and hear its wake-ups', async () => {
    const prefix = freshPrefix();
    const a = new RedisSessionStore({ redis: server.url, prefix });
    const b = new RedisSessionStore({ redis: server.url, prefix });
    try {
      const { id, token } = await a.create();
      expect((await b.authenticate(id, token)).id).toBe(id);

      const seqs = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).push(id, draft(i), FAULT)));
      expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      expect((await a.pending(id, 0)).map((f) => f.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      await b.ack(id, 150);
      expect((await a.pending(id, 0)).map((f) => f.seq)[0]).toBe(151);

      let woken = 0;
      const off = b.subscribe(id, () => woken++);
      await waitFor(async () => {
        await a.push(id, draft(0), FAULT);
        return woken > 0;
      }, 'a wake-up on the other store');
      off();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('gives each expired session to exactly one of the processes collecting at once', async () => {
    const prefix = freshPrefix();
    let clock = 1_000_000;
    const now = () => clock;
    const stores = [0, 1, 2].map(() => new RedisSessionStore({ redis: server.url, prefix, ttlMs: 1000, now }));
    try {
      const ids: string[] = [];
      for (let i = 0; i < 60; i++) {
        const { id } = await stores[0]!.create();
        await stores[0]!.push(id, draft(i), FAULT);
        ids.push(id);
      }
      clock += 1000;
      const results = await Promise.all(stores.map((s) => s.expireIdle(clock)));
      const all = results.flat();
      expect(all.map((e) => e.id).sort()).toEqual([...ids].sort());
      expect(all.every((e) => e.pending.length === 1 && e.pending[0]!.seq === 1)).toBe(true);
      expect(await admin.keys(`${prefix}*`)).toEqual([]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('lets Redis drop abandoned sessions by key TTL, and groups forget them', async () => {
    const prefix = freshPrefix();
    const store = new RedisSessionStore({ redis: server.url, prefix, ttlMs: 100, keyTtlMs: 200 });
    try {
      const { id } = await store.create();
      await store.join('g', id);
      await waitFor(async () => (await admin.exists(`${prefix}:duplex:session:${id}`)) === 0, 'the session key to expire');
      expect(await store.members('g')).toEqual([]);
      expect(await admin.exists(`${prefix}:duplex:group:g`)).toBe(0);
      // The index entry is collected with no frames (Redis already dropped them).
      expect(await store.expireIdle(Date.now())).toEqual([{ id, pending: [] }]);
    } finally {
      await store.close();
    }
  });

  it('quits both of its connections on close', async () => {
    const store = new RedisSessionStore({ redis: server.url, prefix: freshPrefix() });
    const { id } = await store.create();
    store.subscribe(id, () => undefined);
    await waitFor(async () => String(await admin.client('LIST')).includes('name=itinera-sessions-sub'), 'the subscriber to connect');
    await store.close();
    await waitFor(async () => !String(await admin.client('LIST')).includes('name=itinera-sessions'), 'the connections to close');
    expect((await codeOf(store.get(id))).code).toBe('TRANSPORT_UNAVAILABLE');
  });

  it('fails with TRANSPORT_UNAVAILABLE when nothing listens', async () => {
    const port = await freePort();
    const store = createSessionStore({ kind: 'redis', redisUrl: `redis://127.0.0.1:${port}` });
    try {
      const err = await codeOf(store.create());
      expect(err.code).toBe('TRANSPORT_UNAVAILABLE');
      expect(err.transient).toBe(true);
      expect(err.message).toMatch(/REDIS_URL/);
    } finally {
      await store.close();
    }
  });

  // Stops and restarts the shared server: keep it last.
  it('fails clearly while Redis is down and recovers when it returns', async () => {
    const prefix = freshPrefix();
    const store = new RedisSessionStore({ redis: server.url, prefix });
    try {
      const { id, token } = await store.create();
      await store.push(id, draft(1), FAULT);
      let woken = 0;
      store.subscribe(id, () => woken++);
      await waitFor(async () => {
        await store.push(id, draft(2), FAULT);
        return woken > 0;
      }, 'the subscription');
      const before = woken;

      admin.disconnect();
      await server.stop(false);
      for (const op of [store.push(id, draft(3), FAULT), store.authenticate(id, token), store.create(), store.expireIdle(Date.now())]) {
        const err = await codeOf(op);
        expect(err.code).toBe('TRANSPORT_UNAVAILABLE');
        expect(err.transient).toBe(true);
      }

      await server.start();
      admin = new Redis(server.url);
      const info = await waitFor(() => store.authenticate(id, token).catch(() => undefined), 'the store to reconnect');
      expect(info.lastSeq).toBeGreaterThanOrEqual(2);
      // Listeners are woken after the subscriber reconnects, since pushes may have been missed.
      await waitFor(() => woken > before, 'a wake-up after reconnecting');
      const seq = await store.push(id, draft(4), FAULT);
      expect(seq).toBe(info.lastSeq + 1);
    } finally {
      await store.close();
    }
  });
});
