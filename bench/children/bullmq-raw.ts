/**
 * The BullMQ baseline: a Queue and a no-op Worker in one process, with the bus's
 * retention (DEFAULT_REMOVE_ON_COMPLETE / _FAIL) and the same worker concurrency,
 * each on its own connection as the bus does (producer, workers).
 *
 * With BENCH_RELAY=1 it does the Redis work the benchmark itinerary needs, by hand:
 * per message a record SET before the add, and in the worker an add to a second
 * queue (deterministic job id, as redelivery safety needs) and a record APPEND.
 * That is the floor under the bus on the same Redis: what is left is the bus.
 *
 * With BENCH_HOPS=2 it is raw BullMQ doing the two-publication itinerary's two hops
 * and nothing else: the worker adds each job to a second queue (`<queue>.out`, job id
 * `<id>.2`, as redelivery safety needs), and nothing consumes that queue, as nothing
 * consumes the bus's bench.out in the same figure.
 *
 * Environment: REDIS_URL, BENCH_CONCURRENCY (16), BENCH_QUEUE (raw.bench), BENCH_PREFIX ({rawbench}), BENCH_RELAY, BENCH_HOPS.
 */
import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { DEFAULT_REMOVE_ON_COMPLETE, DEFAULT_REMOVE_ON_FAIL } from '@itinera/transport';
import { cpuSeconds, lanes, makeBody, serve } from './serve';
import { Tally } from './tally';

serve(async () => {
  const url = process.env.REDIS_URL!;
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
  const name = process.env.BENCH_QUEUE ?? 'raw.bench';
  const prefix = process.env.BENCH_PREFIX ?? '{rawbench}';
  const producer = new Redis(url, { maxRetriesPerRequest: 1 });
  const workerConn = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue(name, {
    connection: producer,
    prefix,
    defaultJobOptions: { removeOnComplete: DEFAULT_REMOVE_ON_COMPLETE, removeOnFail: DEFAULT_REMOVE_ON_FAIL },
  });
  const completed = new Tally();
  /** add() time of each job, by job id, for the latency run. */
  const addedAt = new Map<string, number>();
  const latencies: number[] = [];
  const relay = process.env.BENCH_RELAY === '1';
  const twoHops = process.env.BENCH_HOPS === '2';
  const out =
    relay || twoHops
      ? new Queue(`${name}.out`, {
          connection: producer,
          prefix,
          defaultJobOptions: { removeOnComplete: DEFAULT_REMOVE_ON_COMPLETE, removeOnFail: DEFAULT_REMOVE_ON_FAIL },
        })
      : undefined;
  const records = relay ? new Redis(url, { maxRetriesPerRequest: 1 }) : undefined;
  const handler = relay
    ? async (job: { id?: string; data: { body: unknown } }) => {
        await out!.add('out', { action: 'Standard', body: job.data.body }, { jobId: `${job.id}.2.deliver` });
        await records!.append(`${prefix}:msg:${job.id}`, '\n{"patch":{"status":"completed"}}');
      }
    : twoHops
      ? async (job: { id?: string; data: unknown }) => {
          await out!.add('out', job.data, { jobId: `${job.id}.2` });
        }
      : async () => undefined;
  const worker = new Worker(name, handler, { connection: workerConn, prefix, concurrency });
  worker.on('completed', (job) => {
    const t = job.id ? addedAt.get(job.id) : undefined;
    if (t !== undefined) {
      latencies.push(performance.now() - t);
      addedAt.delete(job.id!);
    }
    completed.inc();
  });
  worker.on('error', () => undefined);
  queue.on('error', () => undefined);
  await queue.waitUntilReady();
  await worker.waitUntilReady();

  return {
    info: { concurrency, queue: name, out: out ? `${prefix}:${name}.out:wait` : undefined },
    handlers: {
      /** Add `n` jobs, `window` at a time, until the worker completed them all. */
      async drive(a: { n: number; window: number; bodyBytes: number; timeoutMs?: number }) {
        const template = makeBody(0, a.bodyBytes);
        const base = completed.value;
        const cpu0 = cpuSeconds();
        const t0 = performance.now();
        await lanes(a.n, a.window, async (i) => {
          const body = { ...template, id: `o-${i}`, amount: i % 3 === 0 ? 150 : 5 };
          if (!relay) {
            await queue.add(name, body);
            return;
          }
          const id = randomUUID();
          await records!.set(`${prefix}:msg:${id}`, JSON.stringify({ messageId: id, status: 'accepted' }), 'PX', 86_400_000);
          await queue.add(name, { id, body }, { jobId: id });
        });
        const publishMs = performance.now() - t0;
        await completed.reach(base + a.n, a.timeoutMs ?? 120_000, `${a.n} completed jobs`);
        return { n: a.n, publishMs, totalMs: performance.now() - t0, cpuS: cpuSeconds() - cpu0, faulted: 0 };
      },
      /** One job at a time: add() to the worker's `completed` event, in ms. */
      async latency(a: { n: number; bodyBytes: number }) {
        const body = makeBody(0, a.bodyBytes);
        latencies.length = 0;
        for (let i = 0; i < a.n; i++) {
          const base = completed.value;
          const t = performance.now();
          const job = await queue.add(name, body);
          // The worker may finish before add() resolves: record then, or measure here.
          if (completed.value > base) latencies.push(performance.now() - t);
          else addedAt.set(job.id!, t);
          await completed.reach(base + 1, 10_000, 'the job to complete');
        }
        return latencies.slice();
      },
      cpu: () => cpuSeconds(),
    },
    cleanup: async () => {
      await worker.close();
      await queue.close();
      await out?.close();
      records?.disconnect();
      producer.disconnect();
      workerConn.disconnect();
    },
  };
});
