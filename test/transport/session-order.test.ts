import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobDeferral, type MessageBox } from '@itinera/core';
import { startRedis, type RedisServer } from '../support/redis-server';
import { sleep } from '../support/ports';
import { BullMqMessageBox, MemoryMessageBox } from '@itinera/transport';

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis({ appendonly: false });
});
afterAll(async () => {
  await redis?.stop();
});

/** `work`: an ordinary step; `sleep`: a step that takes `ms`; `retry`: a step that fails and retries (deferred) for `ms`. */
interface Msg {
  s: string;
  n: number;
  kind: 'work' | 'sleep' | 'retry';
  ms?: number;
  since?: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A box under test with a handler that runs `Msg`s and tells who waits for which message. */
class Harness {
  readonly completed = new Map<string, number[]>();
  readonly runs = new Map<string, number[]>();
  private readonly waiters = new Map<string, () => void>();
  private readonly started = new Map<string, () => void>();

  constructor(
    readonly box: MessageBox,
    readonly q: string,
  ) {}

  async consume(concurrency: number): Promise<void> {
    await this.box.consume<Msg>(this.q, (job) => this.handle(job.data), { concurrency });
  }

  private async handle(m: Msg): Promise<void> {
    const key = `${m.s}:${m.n}`;
    push(this.runs, m.s, m.n);
    this.started.get(key)?.();
    if (m.kind === 'retry') {
      const since = m.since ?? Date.now();
      // A transient failure with retries left: the retry waits in the box, as the bus's worker does it.
      if (Date.now() - since < m.ms!) throw new JobDeferral(250, { ...m, since });
    } else {
      await sleep(m.kind === 'sleep' ? m.ms! : 20);
    }
    push(this.completed, m.s, m.n);
    this.waiters.get(key)?.();
  }

  /** Publish and resolve when the message completed. */
  send(m: Msg): Promise<void> {
    const done = new Promise<void>((r) => this.waiters.set(`${m.s}:${m.n}`, r));
    return this.box.publish(this.q, m, { orderingKey: m.s }).then(() => done);
  }

  /** Publish; resolve once accepted, with the promise of its completion. */
  async accept(m: Msg): Promise<{ done: Promise<void> }> {
    const done = new Promise<void>((r) => this.waiters.set(`${m.s}:${m.n}`, r));
    await this.box.publish(this.q, m, { orderingKey: m.s });
    return { done };
  }

  whenStarted(s: string, n: number): Promise<void> {
    return new Promise<void>((r) => this.started.set(`${s}:${n}`, r));
  }

  /** Round trips (publish to completion) of `sessions` sessions, each sending `each` messages one after another. */
  async roundTrips(prefix: string, sessions: number, each: number): Promise<number[]> {
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: sessions }, async (_, i) => {
        for (let n = 0; n < each; n++) {
          const t0 = performance.now();
          await this.send({ s: `${prefix}-${i}`, n, kind: 'work' });
          times.push(performance.now() - t0);
        }
      }),
    );
    return times;
  }
}

function push(map: Map<string, number[]>, key: string, n: number): void {
  map.set(key, [...(map.get(key) ?? []), n]);
}

let counter = 0;
const queueName = (what: string) => `order-${what}-${process.pid}-${++counter}`;

function describeOrdering(name: string, makeBox: () => MessageBox): void {
  describe(`per-session order without head-of-line blocking: ${name}`, () => {
    it("a session whose step sleeps or retries for 5 s does not slow other sessions' round trips", async () => {
      const box = makeBox();
      const h = new Harness(box, queueName('slow'));
      try {
        await h.consume(4);
        await h.roundTrips('warm', 4, 2);
        const before = await h.roundTrips('base', 8, 5);

        const slowStart = performance.now();
        const sleeping = h.whenStarted('sleepy', 0);
        const retrying = h.whenStarted('flaky', 0);
        const slow = Promise.all([
          h.send({ s: 'sleepy', n: 0, kind: 'sleep', ms: 5000 }),
          h.send({ s: 'sleepy', n: 1, kind: 'work' }),
          h.send({ s: 'flaky', n: 0, kind: 'retry', ms: 5000 }),
          h.send({ s: 'flaky', n: 1, kind: 'work' }),
        ]).then(() => performance.now() - slowStart);
        await Promise.all([sleeping, retrying]);
        const withSlow = await h.roundTrips('busy', 8, 5);
        const slowTook = await slow;
        // The baseline before and after the slow sessions, so a burst of load on the machine weighs on both sides.
        const without = [...before, ...(await h.roundTrips('after', 8, 5))];

        console.log(
          `[${name}] round trip median without the slow sessions ${median(without).toFixed(1)} ms, with them ${median(withSlow).toFixed(1)} ms (max ${Math.max(...withSlow).toFixed(1)} ms); the slow sessions took ${slowTook.toFixed(0)} ms`,
        );
        // One slot of four sleeps, so the others share three: within twice the baseline.
        expect(median(withSlow)).toBeLessThanOrEqual(2 * median(without));
        // No one waited for the slow sessions.
        expect(Math.max(...withSlow)).toBeLessThan(slowTook / 5);
        // The slow sessions kept their own order: message 1 after message 0, however long it took.
        expect(h.completed.get('sleepy')).toEqual([0, 1]);
        expect(h.completed.get('flaky')).toEqual([0, 1]);
        expect(h.runs.get('flaky')!.filter((n) => n === 0).length).toBeGreaterThan(2);
        expect(h.runs.get('flaky')!.at(-1)).toBe(1);
      } finally {
        await box.close();
      }
    }, 30_000);

    it('a session with a long backlog does not take the workers over: later sessions get in within a round', async () => {
      const box = makeBox();
      const h = new Harness(box, queueName('fair'));
      try {
        await h.consume(2);
        const started = h.whenStarted('hog', 0);
        const hog: Promise<void>[] = [];
        for (let n = 0; n < 60; n++) hog.push((await h.accept({ s: 'hog', n, kind: 'work' })).done);
        await started;
        const hogBefore = h.completed.get('hog')?.length ?? 0;
        const late = await Promise.all(Array.from({ length: 4 }, (_, i) => h.accept({ s: `late-${i}`, n: 0, kind: 'work' })));
        const hogAtAccept = h.completed.get('hog')?.length ?? 0;
        await Promise.all(late.map((l) => l.done));
        const hogMeanwhile = (h.completed.get('hog')?.length ?? 0) - hogAtAccept;
        console.log(`[${name}] four later sessions completed while the backlogged session completed ${hogMeanwhile} more (${hogBefore} before)`);
        // Each session has one job in the shared line at a time: the later ones waited a round or two, not the backlog.
        expect(hogMeanwhile).toBeLessThan(10);
        await Promise.all(hog);
        expect(h.completed.get('hog')).toEqual(Array.from({ length: 60 }, (_, n) => n));
      } finally {
        await box.close();
      }
    }, 20_000);

    it("a retrying message holds no slot: with concurrency 1, another session's message runs during its backoff", async () => {
      const box = makeBox();
      const h = new Harness(box, queueName('slot'));
      try {
        await h.consume(1);
        const started = h.whenStarted('a', 0);
        const t0 = performance.now();
        const a = Promise.all([h.send({ s: 'a', n: 0, kind: 'retry', ms: 1000 }), h.send({ s: 'a', n: 1, kind: 'work' })]).then(() => performance.now() - t0);
        await started;
        const t1 = performance.now();
        await h.send({ s: 'b', n: 0, kind: 'work' });
        const b = performance.now() - t1;
        const aTook = await a;
        console.log(`[${name}] concurrency 1: b's round trip ${b.toFixed(1)} ms while a retried for ${aTook.toFixed(0)} ms`);
        expect(b).toBeLessThan(aTook / 4);
        expect(h.completed.get('a')).toEqual([0, 1]);
      } finally {
        await box.close();
      }
    }, 20_000);
  });
}

describeOrdering('embedded box', () => new MemoryMessageBox());
describeOrdering('BullMQ box', () => new BullMqMessageBox({ connection: redis.url, worker: { parkMs: 1000 }, publishTimeoutMs: 5000 }));
