import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobDeferral, type BoxJob, type MessageBox } from '@itinera/core';

export interface BoxUnderTest {
  box: MessageBox;
  cleanup(): Promise<void>;
}

// Local helpers: the suite runs as a unit test of this lib, without the end-to-end test support.
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(fn: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000, everyMs = 10): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

let counter = 0;
const queueName = () => `conformance.${process.pid}.${Date.now().toString(36)}.${++counter}`;

/** Wait without failing: a handler uses it to hold its slot until the others arrive. */
const waitQuietly = (fn: () => boolean, ms: number) => waitFor(fn, 'condition', ms, 5).catch(() => undefined);

/**
 * The message box conformance suite: every transport runs it, so the memory box
 * and the BullMQ box keep the same semantics (copies, concurrency, retries and
 * backoff, dead letters, delays, dedupe, ordering keys, shutdown).
 */
export function describeMessageBox(name: string, factory: () => Promise<BoxUnderTest>): void {
  describe(`message box conformance: ${name}`, () => {
    let ctx: BoxUnderTest;
    let box: MessageBox;

    beforeEach(async () => {
      ctx = await factory();
      box = ctx.box;
    });
    afterEach(async () => {
      await ctx.cleanup();
    });

    it('is ready', async () => {
      expect(await box.isReady()).toBe(true);
    });

    it('delivers published jobs with a copy of their data', async () => {
      const q = queueName();
      const original = { n: 1, nested: { list: [1, 2] } };
      const got: BoxJob<{ n: number; nested: { list: number[] } }>[] = [];
      await box.consume<{ n: number; nested: { list: number[] } }>(q, async (job) => void got.push(job), { concurrency: 1 });
      await box.publish(q, original);
      original.nested.list.push(3); // after publish: the box must hold its own copy
      await box.publish(q, { n: 2, nested: { list: [] } });
      await waitFor(() => got.length === 2, 'two deliveries');
      const byN = [...got].sort((a, b) => a.data.n - b.data.n);
      expect(byN.map((j) => j.data)).toEqual([
        { n: 1, nested: { list: [1, 2] } },
        { n: 2, nested: { list: [] } },
      ]);
      expect(byN[0]!.data).not.toBe(original);
      for (const job of got) {
        expect(job.queue).toBe(q);
        expect(job.attempt).toBe(1);
        expect(typeof job.id).toBe('string');
      }
      expect(new Set(got.map((j) => j.id)).size).toBe(2);
    });

    it('delivers jobs published before any consumer exists', async () => {
      const q = queueName();
      for (let i = 0; i < 5; i++) await box.publish(q, { i });
      const got: number[] = [];
      await box.consume<{ i: number }>(q, async (job) => void got.push(job.data.i), { concurrency: 2 });
      await waitFor(() => got.length === 5, 'five deliveries');
      expect([...got].sort()).toEqual([0, 1, 2, 3, 4]);
    });

    it('never runs more than `concurrency` handlers at once, and does reach it', async () => {
      const q = queueName();
      const N = 3;
      let inFlight = 0;
      let max = 0;
      let done = 0;
      for (let i = 0; i < 12; i++) await box.publish(q, { i });
      await box.consume(
        q,
        async () => {
          inFlight++;
          max = Math.max(max, inFlight);
          await waitQuietly(() => max >= N, 2000);
          await sleep(10);
          inFlight--;
          done++;
        },
        { concurrency: N },
      );
      await waitFor(() => done === 12, 'twelve jobs done');
      expect(max).toBe(N);
    });

    it('retries a failing job with exponential backoff, on fresh copies of its data, then succeeds', async () => {
      const q = queueName();
      const seen: { attempt: number; at: number; x: number }[] = [];
      let dead = 0;
      await box.consume<{ x: number }>(
        q,
        async (job) => {
          seen.push({ attempt: job.attempt, at: Date.now(), x: job.data.x });
          job.data.x = 99; // a mutation must not reach the next attempt
          if (job.attempt < 3) throw new Error(`attempt ${job.attempt} failed`);
        },
        { concurrency: 1, attempts: 3, backoffMs: 40, onDeadLetter: () => void dead++ },
      );
      await box.publish(q, { x: 1 });
      await waitFor(() => seen.length === 3, 'three attempts');
      await sleep(100);
      expect(seen.map((s) => s.attempt)).toEqual([1, 2, 3]);
      expect(seen.map((s) => s.x)).toEqual([1, 1, 1]);
      expect(dead).toBe(0);
      expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(40 - 5);
      expect(seen[2]!.at - seen[1]!.at).toBeGreaterThanOrEqual(80 - 5);
    });

    it('dead-letters a job once after its last attempt, with the last error and attempt count', async () => {
      const q = queueName();
      const calls: number[] = [];
      const dead: { job: BoxJob; error: Error }[] = [];
      await box.consume(
        q,
        async (job) => {
          calls.push(job.attempt);
          throw new Error(`boom ${job.attempt}`);
        },
        { concurrency: 2, attempts: 2, backoffMs: 10, onDeadLetter: (job, error) => void dead.push({ job, error }) },
      );
      await box.publish(q, { v: 'x' }, { jobId: 'dead-1' });
      await waitFor(() => dead.length === 1, 'dead letter');
      await sleep(150);
      expect(calls).toEqual([1, 2]);
      expect(dead).toHaveLength(1);
      expect(dead[0]!.job).toMatchObject({ id: 'dead-1', queue: q, attempt: 2, data: { v: 'x' } });
      expect(dead[0]!.error.message).toBe('boom 2');
    });

    it('does not deliver a delayed job before its delay', async () => {
      const q = queueName();
      const got: { data: string; at: number }[] = [];
      await box.consume<string>(q, async (job) => void got.push({ data: job.data, at: Date.now() }), { concurrency: 2 });
      const t0 = Date.now();
      await box.publish(q, 'late', { delayMs: 300 });
      await box.publish(q, 'now');
      await waitFor(() => got.length === 2, 'both jobs', 5000);
      expect(got.map((g) => g.data)).toEqual(['now', 'late']);
      expect(got[1]!.at - t0).toBeGreaterThanOrEqual(300 - 5);
    });

    it('holds one job per jobId while it waits, runs or recently finished', async () => {
      const q = queueName();
      const got: BoxJob<{ v: number }>[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      await box.publish(q, { v: 1 }, { jobId: 'same' });
      await box.publish(q, { v: 2 }, { jobId: 'same' }); // waiting: no-op
      await box.consume<{ v: number }>(
        q,
        async (job) => {
          got.push(job);
          if (job.id === 'same') await gate;
        },
        { concurrency: 1 },
      );
      await waitFor(() => got.length === 1, 'first delivery');
      await box.publish(q, { v: 3 }, { jobId: 'same' }); // active: no-op
      release();
      await sleep(200);
      await box.publish(q, { v: 4 }, { jobId: 'same' }); // completed recently: no-op
      await box.publish(q, { v: 5 }, { jobId: 'order:42:step' }); // ids may hold ':'
      await box.publish(q, { v: 6 }, { jobId: '42' }); // and look like numbers
      await waitFor(() => got.length === 3, 'three deliveries');
      await sleep(200);
      expect(got.map((j) => [j.id, j.data.v])).toEqual([
        ['same', 1],
        ['order:42:step', 5],
        ['42', 6],
      ]);
    });

    it('runs jobs of one ordering key one at a time in publish order, retries included, while keys overlap', async () => {
      const q = queueName();
      const keys = ['session-a', 'session-b', 'session-c', 'session-d'];
      const started = new Map<string, number[]>(keys.map((k) => [k, []]));
      const completed = new Map<string, number[]>(keys.map((k) => [k, []]));
      const running = new Map<string, number>();
      let overlapSameKey = 0;
      let inFlight = 0;
      let maxInFlight = 0;
      let total = 0;
      for (let seq = 0; seq < 4; seq++) for (const key of keys) await box.publish(q, { key, seq }, { orderingKey: key });
      await box.consume<{ key: string; seq: number }>(
        q,
        async (job) => {
          const { key, seq } = job.data;
          expect(job.orderingKey).toBe(key);
          if ((running.get(key) ?? 0) > 0) overlapSameKey++;
          running.set(key, (running.get(key) ?? 0) + 1);
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          started.get(key)!.push(seq);
          await sleep(15);
          running.set(key, running.get(key)! - 1);
          inFlight--;
          if (key === 'session-a' && seq === 1 && job.attempt === 1) throw new Error('retry me');
          completed.get(key)!.push(seq);
          total++;
        },
        { concurrency: 4, attempts: 2, backoffMs: 30 },
      );
      await waitFor(() => total === 16, 'all keyed jobs', 10_000);
      expect(overlapSameKey).toBe(0);
      for (const key of keys) expect(completed.get(key)).toEqual([0, 1, 2, 3]);
      expect(started.get('session-a')).toEqual([0, 1, 1, 2, 3]);
      expect(maxInFlight).toBeGreaterThanOrEqual(2);
    });

    it('dead-letters a keyed job after its last attempt and lets its key move on', async () => {
      const q = queueName();
      const done: number[] = [];
      const dead: BoxJob<{ seq: number }>[] = [];
      for (let seq = 0; seq < 3; seq++) await box.publish(q, { seq }, { orderingKey: 'k' });
      await box.consume<{ seq: number }>(
        q,
        async (job) => {
          if (job.data.seq === 0) throw new Error('poison');
          done.push(job.data.seq);
        },
        { concurrency: 2, attempts: 2, backoffMs: 10, onDeadLetter: (job) => void dead.push(job as BoxJob<{ seq: number }>) },
      );
      await waitFor(() => done.length === 2, 'the later jobs of the key');
      expect(dead.map((j) => [j.data.seq, j.attempt, j.orderingKey])).toEqual([[0, 2, 'k']]);
      expect(done).toEqual([1, 2]);
    });

    it('a keyed job waiting for its retry outlives its consumer and keeps its attempt count', async () => {
      const q = queueName();
      const seen: string[] = [];
      const first = await box.consume<string>(
        q,
        async (job) => {
          seen.push(`first:${job.data}:${job.attempt}`);
          throw new Error('fail once');
        },
        { concurrency: 1, attempts: 3, backoffMs: 200 },
      );
      await box.publish(q, 'a', { orderingKey: 'k' });
      await box.publish(q, 'b', { orderingKey: 'k' });
      await waitFor(() => seen.length === 1, 'first attempt');
      await first.close(5000);
      await box.consume<string>(q, async (job) => void seen.push(`second:${job.data}:${job.attempt}`), { concurrency: 1, attempts: 3, backoffMs: 200 });
      await waitFor(() => seen.length === 3, 'both jobs', 5000);
      expect(seen).toEqual(['first:a:1', 'second:a:2', 'second:b:1']);
    });

    it('a deferred job frees its slot, keeps its key\'s turn and runs again as the same delivery with new data', async () => {
      const q = queueName();
      const seen: string[] = [];
      await box.publish(q, { n: 'a1', runs: 0 }, { orderingKey: 'a' });
      await box.publish(q, { n: 'a2', runs: 0 }, { orderingKey: 'a' });
      await box.publish(q, { n: 'b1', runs: 0 }, { orderingKey: 'b' });
      await box.consume<{ n: string; runs: number }>(
        q,
        async (job) => {
          seen.push(`${job.data.n}:${job.data.runs}:${job.attempt}`);
          if (job.data.n === 'a1' && job.data.runs === 0) throw new JobDeferral(300, { ...job.data, runs: 1 });
        },
        { concurrency: 1 },
      );
      await waitFor(() => seen.length === 4, 'all runs', 5000);
      // b1 ran while a1 waited (one slot, so the wait held none); a2 waited for a1's second run.
      expect(seen).toEqual(['a1:0:1', 'b1:0:1', 'a1:1:1', 'a2:0:1']);
    });

    it('a delayed keyed job takes its place in its key\'s line when its delay ends', async () => {
      const q = queueName();
      const seen: string[] = [];
      await box.publish(q, 'late', { orderingKey: 'k', delayMs: 300 });
      await box.publish(q, 'first', { orderingKey: 'k' });
      await box.consume<string>(q, async (job) => void seen.push(job.data), { concurrency: 2 });
      await waitFor(() => seen.length === 1, 'the undelayed job');
      expect(seen).toEqual(['first']);
      await box.publish(q, 'second', { orderingKey: 'k' });
      await waitFor(() => seen.length === 3, 'the delayed job', 5000);
      expect(seen).toEqual(['first', 'second', 'late']);
    });

    it('closing a consumer waits for its jobs in flight and stops it taking more', async () => {
      const q = queueName();
      let calls = 0;
      let finished = false;
      const consumer = await box.consume(
        q,
        async () => {
          calls++;
          await sleep(200);
          finished = true;
        },
        { concurrency: 1 },
      );
      await box.publish(q, 1);
      await waitFor(() => calls === 1, 'job started');
      await consumer.close(5000);
      expect(finished).toBe(true);
      await box.publish(q, 2);
      await sleep(200);
      expect(calls).toBe(1);
    });
  });
}
