import { describe, expect, it } from 'vitest';
import { ItineraError } from '@itinera/core';
import { describeSessionStore } from '../test/session-store.conformance';
import { MemorySessionStore } from './memory.session-store';
import { createSessionStore } from './session-store.factory';

describeSessionStore('memory', ({ ttlMs, now }) => new MemorySessionStore({ ttlMs, now }));

describe('MemorySessionStore', () => {
  it('defaults to a 10 minute inactivity timeout', () => {
    expect(new MemorySessionStore().ttlMs).toBe(600_000);
  });

  it('never keeps the token itself', async () => {
    const store = new MemorySessionStore();
    const { id, token } = await store.create();
    const seen = JSON.stringify([...(store as unknown as { sessions: Map<string, unknown> }).sessions.values()]);
    expect(seen).not.toContain(token);
    expect((await store.authenticate(id, token)).id).toBe(id);
  });

  it('wakes listeners when a session ends', async () => {
    const store = new MemorySessionStore();
    const { id } = await store.create();
    let woken = 0;
    store.subscribe(id, () => woken++);
    await store.end(id);
    await Promise.resolve();
    expect(woken).toBe(1);
  });
});

describe('createSessionStore', () => {
  it('builds a memory store', () => {
    const store = createSessionStore({ kind: 'memory', ttlMs: 5000 });
    expect(store.kind).toBe('memory');
    expect((store as MemorySessionStore).ttlMs).toBe(5000);
  });

  it('asks for a Redis URL for the redis kind, and rejects unknown kinds', () => {
    expect(() => createSessionStore({ kind: 'redis' })).toThrow(ItineraError);
    expect(() => createSessionStore({ kind: 'redis' })).toThrow(/REDIS_URL/);
    expect(() => createSessionStore({ kind: 'mongo' as 'memory' })).toThrow(/memory" or "redis/);
  });
});
