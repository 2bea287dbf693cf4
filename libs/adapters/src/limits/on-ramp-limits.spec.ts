import { describe, expect, it } from 'vitest';
import { ANONYMOUS, ItineraError, type Principal, type SessionStore } from '@itinera/core';
import { NO_LIMITS, OnRampLimits, RateLimitedError, retryAfterOf, type LimitSettings } from './on-ramp-limits';

/** Just what the limits use of a session store: create and get. */
function fakeSessions(): SessionStore & { live: Set<string> } {
  const live = new Set<string>();
  let n = 0;
  return {
    live,
    create: async () => {
      const id = `s${++n}`;
      live.add(id);
      return { id, token: 't' };
    },
    get: async (id: string) => (live.has(id) ? { id, createdAt: 0, lastSeen: 0, lastSeq: 0, ackedSeq: 0 } : undefined),
  } as unknown as SessionStore & { live: Set<string> };
}

const alice: Principal = { id: 'key:alice', kind: 'api-key', name: 'alice', permissions: [] };

function limits(settings: Partial<LimitSettings>) {
  const sessions = fakeSessions();
  return { sessions, limits: new OnRampLimits({ settings: { ...NO_LIMITS, ...settings }, sessions, sessionTtlMs: 60_000 }) };
}

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: ItineraError) => e.code,
  );

describe('OnRampLimits', () => {
  it('limits new sessions per second per address, with a retry time', async () => {
    const { limits: l, sessions } = limits({ sessionRate: 3 });
    const create = () => sessions.create();
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await outcome(l.createSession({ address: '10.0.0.1' }, create)));
    expect(results).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED', 'RATE_LIMITED']);
    const err = await l.createSession({ address: '10.0.0.1' }, create).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(retryAfterOf(err)).toBeGreaterThan(0);
    expect(retryAfterOf(err)).toBeLessThanOrEqual(1000);
    // Another address has its own budget; the refused attempts created nothing.
    expect(await outcome(l.createSession({ address: '10.0.0.2' }, create))).toBe('ok');
    expect(sessions.live.size).toBe(4);
  });

  it('caps open sessions per principal and per address; ended ones stop counting', async () => {
    const { limits: l, sessions } = limits({ maxSessionsPerPrincipal: 2, maxSessionsPerAddress: 3 });
    const create = () => sessions.create();
    const a = await l.createSession({ address: '10.0.0.1', principal: alice }, create);
    await l.createSession({ address: '10.0.0.2', principal: alice }, create);
    // alice is at her cap, from any address.
    expect(await outcome(l.createSession({ address: '10.0.0.3', principal: alice }, create))).toBe('RATE_LIMITED');
    sessions.live.delete(a.id); // ended or expired
    // Found full a moment ago: refused without looking again, for up to a second.
    expect(await outcome(l.createSession({ address: '10.0.0.3', principal: alice }, create))).toBe('RATE_LIMITED');
    await new Promise((r) => setTimeout(r, 1050));
    expect(await outcome(l.createSession({ address: '10.0.0.3', principal: alice }, create))).toBe('ok');
    // Anonymous callers are counted by address only (all of them share the anonymous principal).
    for (let i = 0; i < 3; i++) expect(await outcome(l.createSession({ address: '10.0.0.9', principal: ANONYMOUS }, create))).toBe('ok');
    const err = (await l.createSession({ address: '10.0.0.9', principal: ANONYMOUS }, create).catch((e: Error) => e)) as Error;
    expect(err).toMatchObject({ code: 'RATE_LIMITED' });
    expect(err.message).toMatch(/ITINERA_MAX_SESSIONS_PER_ADDRESS/);
  });

  it('holds the cap under parallel creations: the reservation is atomic, refused ones leave no slot taken', async () => {
    const { limits: l, sessions } = limits({ maxSessionsPerAddress: 5 });
    // Each creation takes a while, so all 50 are in flight together.
    const slowCreate = () => new Promise<{ id: string }>((r) => setTimeout(() => r(sessions.create()), 5));
    const results = await Promise.all(Array.from({ length: 50 }, () => outcome(l.createSession({ address: '10.0.0.1' }, slowCreate))));
    expect(results.filter((r) => r === 'ok')).toHaveLength(5);
    expect(results.filter((r) => r === 'RATE_LIMITED')).toHaveLength(45);
    expect(sessions.live.size).toBe(5);
    // A creation that fails gives its slot back.
    const { limits: l2, sessions: s2 } = limits({ maxSessionsPerAddress: 1 });
    expect(await outcome(l2.createSession({ address: 'a' }, () => Promise.reject(new ItineraError('TRANSPORT_UNAVAILABLE', 'down'))))).toBe('TRANSPORT_UNAVAILABLE');
    expect(await outcome(l2.createSession({ address: 'a' }, () => s2.create()))).toBe('ok');
  });

  it('limits messages per principal, else per address; 0 turns a limit off', async () => {
    const { limits: l } = limits({ messageRate: 2 });
    const sent = async (caller: Parameters<OnRampLimits['message']>[0]) => outcome(l.message(caller));
    expect([await sent({ address: 'a', principal: alice }), await sent({ address: 'b', principal: alice }), await sent({ address: 'c', principal: alice })]).toEqual([
      'ok',
      'ok',
      'RATE_LIMITED',
    ]);
    expect(await sent({ address: 'a' })).toBe('ok');
    // HTTP: an anonymous message already counted by a tighter per-address request limit is not counted twice…
    const { limits: both } = limits({ messageRate: 2, requestRate: 2 });
    for (let i = 0; i < 2; i++) await both.request('h');
    await both.httpMessage({ address: 'h' });
    await both.httpMessage({ address: 'h' });
    expect(await outcome(both.message({ address: 'h' }))).toBe('ok'); // the message budget is still whole…
    expect(await outcome(both.request('h'))).toBe('RATE_LIMITED'); // …as the request limit bounds HTTP
    // …but a principal's message is (its budget is not the address's).
    await both.httpMessage({ address: 'h', principal: alice });
    await both.httpMessage({ address: 'h', principal: alice });
    expect(await outcome(both.httpMessage({ address: 'h', principal: alice }))).toBe('RATE_LIMITED');
    const { limits: off } = limits({});
    for (let i = 0; i < 50; i++) await off.message({ address: 'a' });
    for (let i = 0; i < 50; i++) await off.request('a');
  });
});
