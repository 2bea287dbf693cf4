import { describe, expect, it } from 'vitest';
import { MemorySessionStore } from '@itinera/sessions';
import { DuplexRegistry, registryFor, type DuplexEndpoint } from './duplex-registry';

const endpoint = (transport: 'ws' | 'poll' | 'tcp') => {
  const ended: string[] = [];
  const ep: DuplexEndpoint & { ended: string[] } = { transport, ended, end: (reason) => void ended.push(reason) };
  return ep;
};

describe('DuplexRegistry', () => {
  it('counts frames delivered, and those written to a session again as redelivered', () => {
    const r = new DuplexRegistry();
    r.noteDelivered('s', 'ws', [{ seq: 1 }, { seq: 2 }]);
    r.noteDelivered('s', 'poll', [{ seq: 2 }, { seq: 3 }]);
    expect(r.delivered).toEqual({ ws: 2, poll: 2, tcp: 0 });
    expect(r.redelivered).toEqual({ ws: 0, poll: 1, tcp: 0 });
    r.claim('s', endpoint('ws'));
    r.claim('t', endpoint('poll'));
    expect(r.connected()).toEqual({ ws: 1, poll: 1, tcp: 0 });
    // An ended session starts over: its seq marks are forgotten.
    r.end('s', 'ended');
    r.noteDelivered('s', 'ws', [{ seq: 1 }]);
    expect(r.redelivered.ws).toBe(0);
  });

  it('a WebSocket replaces every other endpoint; a poll supersedes polls but leaves WebSockets alone', () => {
    const r = new DuplexRegistry();
    const ws1 = endpoint('ws');
    const poll1 = endpoint('poll');
    r.claim('s', ws1);
    r.claim('s', poll1);
    expect(ws1.ended).toEqual([]);
    const poll2 = endpoint('poll');
    r.claim('s', poll2);
    expect(poll1.ended).toEqual(['superseded']);
    const ws2 = endpoint('ws');
    r.claim('s', ws2);
    expect(ws1.ended).toEqual(['replaced']);
    expect(poll2.ended).toEqual(['replaced']);
    expect(r.end('s', 'expired')).toBe(1);
    expect(ws2.ended).toEqual(['expired']);
    expect(r.has('s')).toBe(false);
  });

  it('a TCP connection replaces a WebSocket and the other way round; polls leave it alone; it is counted as tcp', () => {
    const r = new DuplexRegistry();
    const ws = endpoint('ws');
    const tcp = endpoint('tcp');
    r.claim('s', ws);
    r.claim('s', tcp);
    expect(ws.ended).toEqual(['replaced']);
    r.claim('s', endpoint('poll'));
    expect(tcp.ended).toEqual([]);
    expect(r.connected()).toEqual({ ws: 0, poll: 0, tcp: 1 });
    r.noteDelivered('s', 'tcp', [{ seq: 1 }]);
    expect(r.delivered.tcp).toBe(1);
    const ws2 = endpoint('ws');
    r.claim('s', ws2);
    expect(tcp.ended).toEqual(['replaced']);
  });

  it('runs a session’s work one at a time in order, sessions in parallel, and refuses past the limit', async () => {
    const r = new DuplexRegistry();
    const log: string[] = [];
    const job = (name: string, ms: number) => () => new Promise<string>((res) => setTimeout(() => (log.push(name), res(name)), ms));
    const results = await Promise.all([r.serial('a', 10, job('a1', 30)), r.serial('a', 10, job('a2', 1)), r.serial('b', 10, job('b1', 5))]);
    expect(results).toEqual(['a1', 'a2', 'b1']);
    expect(log).toEqual(['b1', 'a1', 'a2']);
    const failing = r.serial('c', 10, async () => {
      throw new Error('nope');
    });
    await expect(failing).rejects.toThrow('nope');
    expect(await r.serial('c', 10, async () => 'after')).toBe('after');
    const slow = r.serial('d', 1, job('d1', 20));
    await expect(r.serial('d', 1, job('d2', 1))).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await slow;
    expect(r.inFlight()).toBe(0);
  });

  it('one registry per session store', () => {
    const a = new MemorySessionStore();
    expect(registryFor(a)).toBe(registryFor(a));
    expect(registryFor(a)).not.toBe(registryFor(new MemorySessionStore()));
  });
});
