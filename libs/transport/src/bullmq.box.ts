import { Queue, type KeepJobs } from 'bullmq';
import { RedisKeyspace, isClusterEndpoint, newId, silentLogger, type RedisClient } from '@itinera/core';
import type { ConsumeOptions, Consumer, JobHandler, Logger, MessageBox, PublishOptions, QueueStats } from '@itinera/core';
import { BullMqConsumer, type WorkerTuning } from './bullmq.consumer';
import { JOB_OPTIONS, TIMER_SUFFIX, type WireJob } from './bullmq.wire';
import { assertConsumeOptions } from './consume-options';
import { encodeJobId } from './job-id';
import { KeyedLines } from './keyed-lines';
import { queueCounts } from './queue-jobs';
import { assertQueueName } from './queue-names';
import { assertQueueShards, perShardConcurrency, shardName, shardNames, shardOf } from './queue-shards';
import { ShardedConsumer } from './sharded.consumer';
import { SharedSlots } from './shared-slots';
import { warnStrayShards } from './stray-shards';
import { createRedis, eachMaster, logErrors, whenReady, withTimeout, type RedisConnectionOptions } from './redis-connections';
import { boxClosed, invalidOption, publishFailed, transportUnavailable } from './transport-errors';
import { DEFAULT_READY_MIN_FREE_BYTES, checkFreeMemory } from './redis-memory';

export type KeepFinished = boolean | number | KeepJobs;

export interface BullMqMessageBoxOptions {
  /** Redis URL, ioredis options, or a Redis Cluster's seed nodes. */
  connection: RedisConnectionOptions;
  /** Key prefix. Single Redis: used as is (its braces put every key in one slot). Cluster: see RedisKeyspace, one slot per queue. */
  prefix?: string;
  /** Completed jobs kept (default: 1 hour, at most 10 000 per queue): the window in which a `jobId` still dedupes. */
  removeOnComplete?: KeepFinished;
  /** Failed (dead-lettered) jobs kept (default: 7 days, at most 10 000 per queue): the last copy if the fault store write failed. */
  removeOnFail?: KeepFinished;
  /** How long `publish` may take before it fails with TRANSPORT_UNAVAILABLE (default 1 000 ms). */
  publishTimeoutMs?: number;
  worker?: WorkerTuning;
  /**
   * Logical queues split into this many BullMQ queues (default 1 each): a message goes to
   * the shard of its ordering key (else of its id), each shard has its own hash tag on a
   * cluster, and one `consume` reads every shard within its concurrency. E.g. `{ 'itinera.work': 8 }`.
   */
  queueShards?: Readonly<Record<string, number>>;
  /** Free bytes under Redis's `maxmemory` below which the box is not ready (default 1 MiB). */
  readyMinFreeBytes?: number;
  logger?: Logger;
}

export const DEFAULT_PREFIX = '{itinera}';
export const DEFAULT_REMOVE_ON_COMPLETE: KeepJobs = { age: 3600, count: 10_000 };
export const DEFAULT_REMOVE_ON_FAIL: KeepJobs = { age: 7 * 24 * 3600, count: 10_000 };
/** The readiness probe's key lives this long: one tiny key per prefix, never piling up. */
const READY_KEY_TTL_MS = 10_000;

/**
 * The Redis message box, on BullMQ: many processes publish and consume. Publishing
 * fails fast when Redis is down (the producer connection queues nothing offline)
 * and recovers by itself; workers wait out outages and resume.
 */
export class BullMqMessageBox implements MessageBox {
  readonly kind = 'bullmq';
  readonly prefix: string;
  /** Key names: one slot for everything (single Redis) or one per queue (cluster). */
  readonly keys: RedisKeyspace;
  /** The producer connection: fail-fast, shared by every queue this box publishes to. */
  readonly redis: RedisClient;
  private workerRedis: RedisClient | undefined;
  private readonly queues = new Map<string, Queue>();
  private readonly consumers = new Set<BullMqConsumer>();
  /** Per-key order, on the producer connection (publish joins a key's line). */
  private readonly lines: KeyedLines;
  private readonly publishTimeoutMs: number;
  private readonly logger: Logger;
  private closed = false;

  constructor(private readonly opts: BullMqMessageBoxOptions) {
    this.prefix = opts.prefix ?? DEFAULT_PREFIX;
    this.publishTimeoutMs = opts.publishTimeoutMs ?? 1000;
    this.logger = opts.logger ?? silentLogger;
    if (this.prefix.includes(':')) throw invalidOption(`prefix must not contain ':' (got "${this.prefix}").`);
    assertQueueShards(opts.queueShards ?? {});
    this.keys = new RedisKeyspace(this.prefix, isClusterEndpoint(opts.connection));
    this.redis = createRedis(opts.connection, {
      // Fail at once while disconnected instead of queueing: a 503 now beats a request hanging.
      enableOfflineQueue: false,
      // Never resend after a reconnect: the caller was already told the publish failed. (A
      // Cluster client still retries through a failover, hence `publishUnconfirmed`.)
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: this.publishTimeoutMs,
      // Reconnect quickly so publishing recovers within about a second of Redis returning.
      retryStrategy: (times) => Math.min(50 * 2 ** times, 1000),
    });
    logErrors(this.redis, this.logger, 'message box producer');
    this.lines = new KeyedLines(this.redis, opts.worker ?? {}, this.logger);
  }

  async publish<T>(queue: string, data: T, opts: PublishOptions = {}): Promise<void> {
    if (this.closed) throw boxClosed();
    assertQueueName(queue);
    const key = opts.orderingKey;
    const id = opts.jobId ?? newId();
    const jobId = encodeJobId(id);
    const wire: WireJob = { d: data };
    if (key !== undefined) wire.k = key;
    if (jobId !== id) wire.i = id;
    const delay = opts.delayMs && opts.delayMs > 0 ? opts.delayMs : undefined;
    const add = async () => {
      await whenReady(this.redis, this.publishTimeoutMs);
      const q = this.queue(shardName(queue, shardOf(key, id, this.shards(queue))));
      if (key === undefined) await q.add(queue, wire, { ...JOB_OPTIONS, jobId, delay });
      // A delayed keyed job must not hold its key's turn while it waits: a timer job joins the line when the delay ends.
      else if (delay) await q.add(queue, { ...wire, t: 1 }, { ...JOB_OPTIONS, jobId: jobId + TIMER_SUFFIX, delay });
      else await this.lines.add(q, queue, wire, jobId, JOB_OPTIONS);
    };
    try {
      await withTimeout(add(), this.publishTimeoutMs + 250, 'publish');
    } catch (err) {
      // A Queue whose set-up failed during an outage stays broken: drop it, a fresh one is cheap.
      this.dropQueue(shardName(queue, shardOf(key, id, this.shards(queue))));
      throw publishFailed(err);
    }
  }

  async consume<T>(queue: string, handler: JobHandler<T>, opts: ConsumeOptions): Promise<Consumer> {
    if (this.closed) throw boxClosed();
    assertQueueName(queue);
    assertConsumeOptions(opts);
    const shards = this.shards(queue);
    const connection = this.workerConnection();
    const prefixOf = (name: string) => this.keys.queuePrefix(name);
    const logger = this.logger.child({ queue });
    const start = (shard: string, h: JobHandler<unknown>, o: ConsumeOptions) =>
      BullMqConsumer.start(
        { connection, prefixOf, shard, tuning: this.opts.worker ?? {}, logger, onClosed: (c) => this.consumers.delete(c) },
        queue,
        h,
        o,
      ).then((c) => {
        this.consumers.add(c);
        return c;
      });
    if (this.opts.queueShards?.[queue] !== undefined) void warnStrayShards(connection, prefixOf, queue, shards, logger);
    if (shards === 1) return start(queue, handler as JobHandler<unknown>, opts);
    // Divide the fetching, share the running: see perShardConcurrency.
    const slots = new SharedSlots(opts.concurrency);
    const shared: JobHandler<unknown> = (job) => slots.run(() => (handler as JobHandler<unknown>)(job));
    const each = { ...opts, concurrency: perShardConcurrency(opts.concurrency, shards) };
    const parts: BullMqConsumer[] = [];
    try {
      for (const name of shardNames(queue, shards)) parts.push(await start(name, shared, each));
    } catch (err) {
      await Promise.all(parts.map((c) => c.close()));
      throw err;
    }
    return new ShardedConsumer(parts);
  }

  available(): boolean {
    return this.redis.status === 'ready';
  }

  async isReady(): Promise<boolean> {
    return this.checkReady().then(
      () => true,
      () => false,
    );
  }

  /**
   * Ready means Redis takes a write, not only that it answers: a Redis at its maxmemory
   * (noeviction) still answers PING but refuses every job, record and session write. So
   * the probe writes one small key that expires by itself, in the bus's hash slot, and
   * reads INFO memory: a Redis with less than `readyMinFreeBytes` left is not ready either.
   */
  async checkReady(): Promise<void> {
    if (this.closed) throw boxClosed();
    try {
      // A box still connecting gets a moment; a Redis that is down answers at once.
      if (this.redis.status === 'connecting' || this.redis.status === 'connect') await whenReady(this.redis, 500);
      await withTimeout(Promise.all(this.readyKeys().map((k) => this.redis.set(k, String(Date.now()), 'PX', READY_KEY_TTL_MS))), 500, 'readiness write');
      const minFree = this.opts.readyMinFreeBytes ?? DEFAULT_READY_MIN_FREE_BYTES;
      await withTimeout(
        eachMaster(this.redis, (node) => checkFreeMemory(node, minFree)),
        500,
        'memory check',
      );
    } catch (err) {
      throw transportUnavailable(err);
    }
  }

  /**
   * Counts from BullMQ (getJobCounts) and the oldest waiting job (getJobs wait, ascending).
   * `delayed` includes keyed jobs waiting for their key's turn. A sharded queue reports the
   * sum over its shards and its oldest job of any shard. For scrapes: two round trips per BullMQ queue.
   */
  async queueStats(queues: readonly string[]): Promise<QueueStats[]> {
    if (this.closed) return [];
    const now = Date.now();
    return withTimeout(
      Promise.all(
        queues.map(async (queue) => {
          const parts = await Promise.all(shardNames(queue, this.shards(queue)).map((name) => queueCounts(this.queue(name))));
          const oldest = Math.min(...parts.map((p) => p.oldestAt));
          const stats: QueueStats = {
            queue,
            waiting: sum(parts.map((p) => p.waiting)),
            active: sum(parts.map((p) => p.active)),
            delayed: sum(parts.map((p) => p.delayed)),
            oldestWaitingMs: oldest === Infinity ? 0 : Math.max(0, now - oldest),
          };
          return stats;
        }),
      ),
      2000,
      'queue stats',
    );
  }

  /** The BullMQ queues behind a logical queue (one, unless `queueShards` splits it). */
  shardsOf(queue: string): string[] {
    return shardNames(queue, this.shards(queue));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    this.queues.clear();
    await Promise.all([this.redis, this.workerRedis].map((r) => r && quit(r)));
  }

  private shards(queue: string): number {
    return this.opts.queueShards?.[queue] ?? 1;
  }

  /**
   * The readiness probe's keys: one in the bus's slot, and on a cluster one in each
   * shard's slot, so a master that refuses writes to any shard makes the box not ready.
   */
  private readyKeys(): string[] {
    const keys = [this.keys.key('ready')];
    if (!this.keys.spread) return keys;
    for (const [queue, n] of Object.entries(this.opts.queueShards ?? {})) {
      for (const name of shardNames(queue, n)) keys.push(this.keys.key(this.keys.tag(name), 'ready'));
    }
    return keys;
  }

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, {
        connection: this.redis,
        prefix: this.keys.queuePrefix(name),
        defaultJobOptions: {
          removeOnComplete: this.opts.removeOnComplete ?? DEFAULT_REMOVE_ON_COMPLETE,
          removeOnFail: this.opts.removeOnFail ?? DEFAULT_REMOVE_ON_FAIL,
        },
      });
      // The producer connection already reports outages; each queue repeating them adds noise.
      logErrors(q, this.logger, `queue ${name}`, 'debug');
      this.queues.set(name, q);
    }
    return q;
  }

  private dropQueue(name: string): void {
    const q = this.queues.get(name);
    if (!q) return;
    this.queues.delete(name);
    q.close().catch(() => undefined);
  }

  /** Workers wait out outages (BullMQ requires `maxRetriesPerRequest: null` for them); opened on first consume. */
  private workerConnection(): RedisClient {
    if (!this.workerRedis) {
      this.workerRedis = createRedis(this.opts.connection, {
        maxRetriesPerRequest: null,
        enableOfflineQueue: true,
        retryStrategy: (times) => Math.min(100 * 2 ** times, 2000),
      });
      logErrors(this.workerRedis, this.logger, 'message box workers');
    }
    return this.workerRedis;
  }
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

async function quit(redis: RedisClient): Promise<void> {
  try {
    if (redis.status === 'ready') await withTimeout(redis.quit(), 1000, 'quit');
  } catch {
    // fall through to disconnect
  }
  redis.disconnect();
}
