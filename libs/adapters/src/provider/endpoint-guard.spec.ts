import { describe, expect, it } from 'vitest';
import { defineAdapter, ItineraError, type MessageBox, type SendOutcome } from '@itinera/core';
import { ALL_ADAPTERS } from '../send-adapters';
import { AdapterProvider } from './adapter-provider';
import { AdapterSender } from './adapter-sender';
import { EndpointGuard, isUnhealthy } from './endpoint-guard';
import { callDeadlineMs, endpointKey, withEndpointGuard } from './endpoint-key';
import { fixtureMessage } from './send-fixtures';

const settings = { concurrency: 2, queue: 1, queueWaitMs: 5000, breakerFailures: 3, halfOpenMs: 150 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A call that stays in flight until released. */
function held() {
  let release!: () => void;
  const done = new Promise<SendOutcome>((r) => (release = () => r({ status: 200 })));
  return { fn: () => done, release };
}

const timeout = () => new ItineraError('SEND_FAILED', 'POST http://a.test/ did not answer within 10 ms', { transient: true });
const answered = (status: number) =>
  new ItineraError('SEND_FAILED', `POST http://a.test/ answered ${status}`, { transient: status >= 500 || status === 429, cause: { status } });

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as ItineraError).code;
  }
  return 'none';
}

describe('EndpointGuard bulkhead', () => {
  it('runs the limit, queues the next, refuses beyond with ENDPOINT_BUSY (transient), and frees slots as calls end', async () => {
    const guard = new EndpointGuard(settings);
    const calls = [held(), held(), held()];
    const running = calls.map((c) => guard.call('http:a', {}, 5000, c.fn));
    expect(guard.stats()).toEqual([{ endpoint: 'http:a', state: 0, inFlight: 2, queued: 1 }]);
    const busy = await guard.call('http:a', {}, 5000, async () => ({ status: 200 })).catch((e: ItineraError) => e);
    expect(busy).toMatchObject({ code: 'ENDPOINT_BUSY', transient: true });
    expect((busy as ItineraError).message).toMatch(/http:a has 2 calls in flight .*maxConcurrency/);
    // Another endpoint is not affected.
    await expect(guard.call('http:b', {}, 5000, async () => ({ status: 201 }))).resolves.toEqual({ status: 201 });
    for (const c of calls) c.release();
    await Promise.all(running);
    expect(guard.stats().find((s) => s.endpoint === 'http:a')).toMatchObject({ inFlight: 0, queued: 0 });
    expect(guard.rejections()).toEqual([{ endpoint: 'http:a', reason: 'ENDPOINT_BUSY', count: 1 }]);
  });

  it('bounds the wait: a waiter gives up after queueWaitMs, then the stalled endpoint refuses at once until a call ends', async () => {
    const guard = new EndpointGuard({ ...settings, queue: 10, queueWaitMs: 40 });
    const calls = [held(), held()];
    const running = calls.map((c) => guard.call('http:a', {}, 5000, c.fn));
    const t0 = performance.now();
    expect(await codeOf(guard.call('http:a', {}, 5000, async () => ({})))).toBe('ENDPOINT_BUSY');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(35);
    // Stalled: the next callers do not wait out the 40 ms each.
    const t1 = performance.now();
    expect(await codeOf(guard.call('http:a', {}, 5000, async () => ({})))).toBe('ENDPOINT_BUSY');
    expect(performance.now() - t1).toBeLessThan(35);
    expect(guard.stats()[0]).toMatchObject({ inFlight: 2, queued: 0 });
    // A call ends: waiting works again, and the waiter gets the freed slot.
    calls[0].release();
    await running[0];
    const third = held();
    const thirdCall = guard.call('http:a', {}, 5000, third.fn);
    const waiter = guard.call('http:a', {}, 5000, async () => ({ status: 202 }));
    expect(guard.stats()[0]).toMatchObject({ inFlight: 2, queued: 1 });
    calls[1].release();
    await expect(waiter).resolves.toEqual({ status: 202 });
    third.release();
    await Promise.all([running[1], thirdCall]);
    expect(guard.stats()[0]).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it('takes per-endpoint overrides (maxConcurrency, maxQueue)', async () => {
    const guard = new EndpointGuard(settings);
    const one = held();
    const first = guard.call('http:c', { maxConcurrency: 1, maxQueue: 0 }, 5000, one.fn);
    expect(await codeOf(guard.call('http:c', {}, 5000, async () => ({})))).toBe('ENDPOINT_BUSY');
    one.release();
    await first;
  });

  it('frees the slot at the deadline when the adapter hangs, and counts it as a failure', async () => {
    const guard = new EndpointGuard({ ...settings, breakerFailures: 1 });
    let aborted = false;
    const err = await guard
      .call('http:hang', {}, 30, (signal) => {
        signal.addEventListener('abort', () => (aborted = true));
        return new Promise<SendOutcome>(() => undefined);
      })
      .catch((e: ItineraError) => e);
    expect(err).toMatchObject({ code: 'SEND_FAILED', transient: true });
    expect((err as ItineraError).message).toMatch(/did not finish within 30 ms.*circuit for endpoint http:hang is now open/);
    expect(aborted).toBe(true);
    expect(guard.stats()[0]).toMatchObject({ inFlight: 0, state: 1 });
  });
});

describe('EndpointGuard circuit breaker', () => {
  it('opens after N consecutive unhealthy failures, refuses with CIRCUIT_OPEN without calling, half-opens, closes on success', async () => {
    const guard = new EndpointGuard(settings);
    for (let i = 0; i < 3; i++) expect(await codeOf(guard.call('http:a', {}, 5000, async () => Promise.reject(timeout())))).toBe('SEND_FAILED');
    expect(guard.stats()[0].state).toBe(1);
    let called = 0;
    const refused = await guard
      .call('http:a', {}, 5000, async () => {
        called++;
        return {};
      })
      .catch((e: ItineraError) => e);
    expect(refused).toMatchObject({ code: 'CIRCUIT_OPEN', transient: true });
    expect((refused as ItineraError).message).toMatch(/circuit for endpoint http:a is open after 3 consecutive failures \(last: .*did not answer/);
    expect(called).toBe(0);
    expect(guard.rejections()).toEqual([{ endpoint: 'http:a', reason: 'CIRCUIT_OPEN', count: 1 }]);

    await sleep(settings.halfOpenMs + 30);
    // The trial call runs; while it runs the circuit is half-open.
    const trial = held();
    const trialCall = guard.call('http:a', {}, 5000, trial.fn);
    expect(guard.stats()[0].state).toBe(2);
    trial.release();
    await trialCall;
    expect(guard.stats()[0].state).toBe(0);
    await expect(guard.call('http:a', {}, 5000, async () => ({ status: 200 }))).resolves.toEqual({ status: 200 });
  });

  it('opens again when the half-open trial fails', async () => {
    const guard = new EndpointGuard({ ...settings, breakerFailures: 1 });
    await codeOf(guard.call('http:a', {}, 5000, async () => Promise.reject(answered(503))));
    expect(guard.stats()[0].state).toBe(1);
    await sleep(settings.halfOpenMs + 30);
    expect(await codeOf(guard.call('http:a', {}, 5000, async () => Promise.reject(answered(502))))).toBe('SEND_FAILED');
    expect(guard.stats()[0].state).toBe(1);
    expect(await codeOf(guard.call('http:a', {}, 5000, async () => ({})))).toBe('CIRCUIT_OPEN');
  });

  it('4xx answers (429 included), invalid requests and refusals do not trip it', async () => {
    const guard = new EndpointGuard({ ...settings, breakerFailures: 2 });
    for (const err of [answered(400), answered(404), answered(429), answered(429), new ItineraError('ADDRESS_NOT_ALLOWED', 'no'), new Error('bug')])
      await guard.call('http:a', {}, 5000, async () => Promise.reject(err)).catch(() => undefined);
    expect(guard.stats()[0].state).toBe(0);
    expect(isUnhealthy(answered(500))).toBe(true);
    expect(isUnhealthy(answered(429))).toBe(false);
    expect(isUnhealthy(timeout())).toBe(true);
  });

  it('a success between failures resets the count (consecutive failures)', async () => {
    const guard = new EndpointGuard(settings);
    for (let i = 0; i < 5; i++) {
      await codeOf(guard.call('http:a', {}, 5000, async () => Promise.reject(timeout())));
      await codeOf(guard.call('http:a', {}, 5000, async () => Promise.reject(timeout())));
      await guard.call('http:a', {}, 5000, async () => ({}));
    }
    expect(guard.stats()[0].state).toBe(0);
  });

  it('failures while the bus shuts down do not count', async () => {
    const ac = new AbortController();
    const guard = new EndpointGuard({ ...settings, breakerFailures: 1 }, { signal: ac.signal });
    ac.abort();
    await codeOf(guard.call('http:a', {}, 5000, async () => Promise.reject(timeout())));
    expect(guard.stats()[0].state).toBe(0);
  });
});

describe('endpointKey and deadlines', () => {
  it('is adapter, scheme, host, port and the first path segment; never credentials or the query', () => {
    expect(endpointKey('http', 'http://user:secret@API.test/orders/12?apikey=k')).toBe('http:http://api.test:80/orders');
    expect(endpointKey('http', 'https://api.test:8443/')).toBe('http:https://api.test:8443/');
    expect(endpointKey('ws', 'ws://h.test/a/../b/c')).toBe('ws:ws://h.test:80/b');
    expect(endpointKey('http', 'http://h.test/hang')).not.toBe(endpointKey('http', 'http://h.test/fast'));
  });

  it("covers the adapter's own timeout and retries", () => {
    expect(callDeadlineMs({ timeoutMs: 1000 })).toBe(2000);
    expect(callDeadlineMs({ timeoutMs: 1000, retries: 2, retryBackoffMs: 100 })).toBe(3000 + 300 + 1000);
    expect(callDeadlineMs({})).toBe(31_000);
  });
});

describe('AdapterSender with the guard', () => {
  const hanging = withEndpointGuard(
    defineAdapter<{ timeoutMs?: number }>({
      name: 'slow',
      summary: 'test adapter that never answers',
      spec: { timeoutMs: { type: 'integer', description: 'deadline', default: 20 } },
      send: () => new Promise<SendOutcome>(() => undefined),
    }),
  );

  it('guards adapters that declare the guard options, validated by the provider with the endpoint config', async () => {
    const provider = new AdapterProvider([...ALL_ADAPTERS, hanging]);
    const bad = (() => {
      try {
        provider.resolve({ adapter: 'http', address: 'http://a.test/', config: 'maxConcurrency=0' });
      } catch (err) {
        return err as ItineraError;
      }
    })();
    expect(bad?.code).toBe('ENDPOINT_INVALID');
    expect(bad?.message).toMatch(/maxConcurrency/);
    expect(provider.resolve({ adapter: 'http', address: 'http://a.test/', config: 'maxConcurrency=3&breakerFailures=2' }).options).toMatchObject({
      maxConcurrency: 3,
      breakerFailures: 2,
    });

    const sender = new AdapterSender(provider, { guard: new EndpointGuard({ ...settings, breakerFailures: 2 }) });
    const send = () => sender.send({ adapter: 'slow', address: 'http://slow.test/x', config: 'timeoutMs=10' }, fixtureMessage());
    expect(await codeOf(send())).toBe('SEND_FAILED');
    expect(await codeOf(send())).toBe('SEND_FAILED');
    expect(await codeOf(send())).toBe('CIRCUIT_OPEN');
    expect(sender.guard.stats()).toEqual([{ endpoint: 'slow:http://slow.test:80/x', state: 1, inFlight: 0, queued: 0 }]);
  });

  it('leaves adapters inside the bus (queue, log) unguarded', async () => {
    const published: string[] = [];
    const sender = new AdapterSender(new AdapterProvider(ALL_ADAPTERS), {
      guard: new EndpointGuard({ ...settings, concurrency: 1, queue: 0 }),
      box: { publish: async (q: string) => void published.push(q) } as unknown as MessageBox,
    });
    await Promise.all([1, 2, 3].map(() => sender.send({ adapter: 'queue', address: 'out' }, fixtureMessage())));
    expect(published).toEqual(['out', 'out', 'out']);
    expect(sender.guard.stats()).toEqual([]);
  });
});
