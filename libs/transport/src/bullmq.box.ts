import { Queue, type KeepJobs } from 'bullmq';
import { RedisKeyspace, isClusterEndpoint, newId, silentLogger, type RedisClient } from '@itinera/core';
import type { ConsumeOptions, Consumer, JobHandler, Logger, MessageBox, PublishOptions, QueueStats } from '@itinera/core';
import { BullMqConsumer, type WorkerTuning } from './bullmq.consumer';
import { JOB_OPTIONS, TIMER_SUFFIX, type WireJob } from './bullmq.wire';
import { assertConsumeOptions } from './consume-options';
import { encodeJobId } from './job-id';
import { KeyedLines } from './keyed-lines';
import { assertQueueName } from './queue-names';
import { createRedis, eachMaster, logErrors, whenReady, withTimeout, type RedisConnectionOptions } from './redis-connections';
import { boxClosed, invalidOption, transportUnavailable } from './transport-errors';
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
    this.keys = new RedisKeyspace(this.prefix, isClusterEndpoint(opts.connection));
    this.redis = createRedis(opts.connection, {
      // Fail at once while disconnected instead of queueing: a 503 now beats a request hanging.
      enableOfflineQueue: false,
      // Never resend after a reconnect: the caller was already told the publish failed.
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
      const q = this.queue(queue);
      if (key === undefined) await q.add(queue, wire, { ...JOB_OPTIONS, jobId, delay });
      // A delayed keyed job must not hold its key's turn while it waits: a timer job joins the line when the delay ends.
      else if (delay) await q.add(queue, { ...wire, t: 1 }, { ...JOB_OPTIONS, jobId: jobId + TIMER_SUFFIX, delay });
      else await this.lines.add(q, queue, wire, jobId, JOB_OPTIONS);
    };
    try {
      await withTimeout(add(), this.publishTimeoutMs + 250, 'publish');
    } catch (err) {
      // A Queue whose set-up failed during an outage stays broken: drop it, a fresh one is cheap.
      this.dropQueue(queue);
      throw transportUnavailable(err);
    }
  }

  async consume<T>(queue: string, handler: JobHandler<T>, opts: ConsumeOptions): Promise<Consumer> {
    if (this.closed) throw boxClosed();
    assertQueueName(queue);
    assertConsumeOptions(opts);
    const consumer = await BullMqConsumer.start(
      {
        connection: this.workerConnection(),
        prefixOf: (name: string) => this.keys.queuePrefix(name),
        tuning: this.opts.worker ?? {},
        logger: this.logger.child({ queue }),
        onClosed: (c) => this.consumers.delete(c),
      },
      queue,
      handler as JobHandler<unknown>,
      opts,
    );
    this.consumers.add(consumer);
    return consumer;
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
      await withTimeout(this.redis.set(this.keys.key('ready'), String(Date.now()), 'PX', READY_KEY_TTL_MS), 500, 'readiness write');
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
   * `delayed` includes keyed jobs waiting for their key's turn. For scrapes: two round trips per queue.
   */
  async queueStats(queues: readonly string[]): Promise<QueueStats[]> {
    if (this.closed) return [];
    const now = Date.now();
    return withTimeout(
      Promise.all(
        queues.map(async (queue) => {
          const q = this.queue(queue);
          const [counts, oldest] = await Promise.all([q.getJobCounts('wait', 'active', 'delayed', 'prioritized'), q.getJobs(['wait'], 0, 0, true)]);
          const at = oldest[0]?.timestamp;
          const stats: QueueStats = {
            queue,
            waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0),
            active: counts.active ?? 0,
            delayed: counts.delayed ?? 0,
            oldestWaitingMs: at === undefined ? 0 : Math.max(0, now - at),
          };
          return stats;
        }),
      ),
      2000,
      'queue stats',
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    this.queues.clear();
    await Promise.all([this.redis, this.workerRedis].map((r) => r && quit(r)));
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

async function quit(redis: RedisClient): Promise<void> {
  try {
    if (redis.status === 'ready') await withTimeout(redis.quit(), 1000, 'quit');
  } catch {
    // fall through to disconnect
  }
  redis.disconnect();
}
