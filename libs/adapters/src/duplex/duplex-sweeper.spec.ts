import { describe, expect, it } from 'vitest';
import { silentLogger, type FaultRecord, type FaultStore } from '@itinera/core';
import { MemorySessionStore } from '@itinera/sessions';
import { registryFor } from './duplex-registry';
import { expiredFrameFault, startSessionSweeper } from './duplex-sweeper';

const push = { limit: 100, overflow: 'fault' as const };

describe('session sweeper', () => {
  it('expires idle sessions, records their pending frames as SESSION_EXPIRED faults and ends their endpoints', async () => {
    let now = 1000;
    const sessions = new MemorySessionStore({ ttlMs: 100, now: () => now });
    const faults: FaultRecord[] = [];
    const store: FaultStore = {
      add: async (f) => void faults.push(f),
      get: async () => undefined,
      list: async () => faults,
      remove: async () => undefined,
      close: async () => undefined,
    };
    const idle = await sessions.create();
    const busy = await sessions.create();
    await sessions.push(idle.id, { type: 'callback', action: 'Result', correlationId: 'k1', body: { result: 1 }, id: 'c1' }, push);
    await sessions.push(idle.id, { type: 'fault', correlationId: 'k2', error: { code: 'DIVIDE_BY_ZERO', message: 'no', step: 'divide' } }, push);
    const ended: string[] = [];
    registryFor(sessions).claim(idle.id, { transport: 'ws', end: (r) => void ended.push(r) });
    now += 60;
    await sessions.touch(busy.id);
    now += 60;
    const sweeper = startSessionSweeper({ sessions, faults: store, logger: silentLogger, everyMs: 60_000, now: () => now });
    expect(await sweeper.sweep()).toBe(1);
    await sweeper.stop();
    expect(ended).toEqual(['expired']);
    expect(faults.map((f) => [f.error.code, f.step, f.correlationId, f.envelope.context.seq])).toEqual([
      ['SESSION_EXPIRED', 'callback', 'k1', 1],
      ['SESSION_EXPIRED', 'divide', 'k2', 2],
    ]);
    expect(faults[0]!.envelope.origin).toEqual({ session: idle.id, clientMessageId: 'c1', transport: 'internal' });
    expect(await sessions.get(busy.id)).toBeDefined();
  });

  it('a failing fault store does not stop the sweep', async () => {
    let now = 0;
    const sessions = new MemorySessionStore({ ttlMs: 10, now: () => now });
    const a = await sessions.create();
    const b = await sessions.create();
    for (const s of [a, b]) await sessions.push(s.id, { type: 'callback', action: 'X', correlationId: 'k', body: null }, push);
    now = 100;
    let calls = 0;
    const failing: FaultStore = {
      add: async () => {
        calls++;
        throw new Error('down');
      },
      get: async () => undefined,
      list: async () => [],
      remove: async () => undefined,
      close: async () => undefined,
    };
    const sweeper = startSessionSweeper({ sessions, faults: failing, logger: silentLogger, everyMs: 60_000, now: () => now });
    expect(await sweeper.sweep()).toBe(2);
    expect(calls).toBe(2);
    await sweeper.stop();
  });

  it('expiredFrameFault describes the frame', () => {
    const f = expiredFrameFault('s1', { type: 'callback', seq: 4, action: 'Result', correlationId: 'k', body: { a: 1 } }, new Date(0));
    expect(f).toMatchObject({
      itinerary: 'session-outbox@0.0.0',
      attempts: 1,
      at: '1970-01-01T00:00:00.000Z',
      error: { code: 'SESSION_EXPIRED', message: expect.stringContaining('callback Result (seq 4)') },
    });
  });
});
