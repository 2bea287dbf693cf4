import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { NO_LIMITS, OnRampLimits } from '@itinera/adapters';
import type { SessionStore } from '@itinera/core';
import { http, startRedis, startTestBus, type RedisServer } from '@itinera/testing';

/**
 * Open-session caps under a burst of parallel creations: the reservation is atomic
 * (add, count, take back when over), so 50 requests at once against a cap of 5 open 5.
 */

/** A session store whose creations take a while, so the 50 overlap; `live` is what it holds. */
function slowSessions() {
  const live = new Set<string>();
  let n = 0;
  const store = {
    create: () => new Promise((r) => setTimeout(() => r({ id: `s${++n}`, token: 't' }), 5)).then((s) => (live.add((s as { id: string }).id), s)),
    get: async (id: string) => (live.has(id) ? { id } : undefined),
  } as unknown as SessionStore;
  return { store, live };
}

async function burst(limits: OnRampLimits, store: SessionStore, address: string) {
  const results = await Promise.all(
    Array.from({ length: 50 }, () =>
      limits.createSession({ address }, () => store.create()).then(
        () => 'ok',
        (e: { code: string }) => e.code,
      ),
    ),
  );
  return { ok: results.filter((r) => r === 'ok').length, refused: results.filter((r) => r === 'RATE_LIMITED').length };
}

describe('50 parallel session creations against a cap of 5', { timeout: 60_000 }, () => {
  let redisServer: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    redisServer = await startRedis();
    redis = new Redis(redisServer.url);
  });
  afterAll(async () => {
    await redis?.quit();
    await redisServer?.stop();
  });

  it('in memory: 5 open, 45 refused', async () => {
    const { store, live } = slowSessions();
    const limits = new OnRampLimits({ settings: { ...NO_LIMITS, maxSessionsPerAddress: 5 }, sessions: store, sessionTtlMs: 60_000 });
    expect(await burst(limits, store, '192.0.2.1')).toEqual({ ok: 5, refused: 45 });
    expect(live.size).toBe(5);
  });

  it('on Redis, over two gateways sharing it: 5 open in all, and the set holds exactly their ids', async () => {
    const { store, live } = slowSessions();
    const settings = { ...NO_LIMITS, maxSessionsPerAddress: 5 };
    const a = new OnRampLimits({ settings, sessions: store, redis, prefix: '{caps}', sessionTtlMs: 60_000 });
    const b = new OnRampLimits({ settings, sessions: store, redis, prefix: '{caps}', sessionTtlMs: 60_000 });
    const [ra, rb] = await Promise.all([burst(a, store, '192.0.2.1'), burst(b, store, '192.0.2.1')]);
    expect(ra.ok + rb.ok).toBe(5);
    expect(ra.refused + rb.refused).toBe(95);
    expect(live.size).toBe(5);
    const members = await redis.smembers('{caps}:rl:owner:a:192.0.2.1');
    expect(members.sort()).toEqual([...live].sort()); // no placeholder left behind
  });

  it('black box: 50 parallel POST /duplex/sessions from one address open 5', async () => {
    const bus = await startTestBus({ env: { ITINERA_MAX_SESSIONS_PER_ADDRESS: '5', ITINERA_SESSION_RATE: '0' } });
    try {
      const answers = await Promise.all(Array.from({ length: 50 }, () => http(`${bus.url}/duplex/sessions`, { method: 'POST' })));
      expect(answers.filter((r) => r.status === 201)).toHaveLength(5);
      const refused = answers.filter((r) => r.status === 429);
      expect(refused).toHaveLength(45);
      expect(refused[0]!.body).toMatchObject({ code: 'RATE_LIMITED' });
      expect(refused[0]!.body.detail ?? refused[0]!.body.message ?? '').toMatch(/ITINERA_MAX_SESSIONS_PER_ADDRESS/);
    } finally {
      await bus.close();
    }
  });
});
