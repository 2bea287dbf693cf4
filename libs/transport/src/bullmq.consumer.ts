import { Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { jsonCopy, type RedisClient, type BoxJob, type ConsumeOptions, type Consumer, type JobHandler, type Logger } from '@itinera/core';
import { BACKOFF_TYPE, type WireJob } from './bullmq.wire';
import { backoffDelay, partitionQueue } from './queue-names';
import { logErrors } from './redis-connections';
import { Semaphore } from './semaphore';
import { toError } from './transport-errors';

/** Worker tuning; the defaults are BullMQ's, tests shorten them to see stalls quickly. */
export interface WorkerTuning {
  /** How long a worker's lock on a job lasts without renewal (default 30 000). */
  lockDurationMs?: number;
  /** How often workers look for jobs whose worker died (default 30 000). */
  stalledIntervalMs?: number;
  /** Stalls a job may survive before it is dead-lettered (default 1). */
  maxStalledCount?: number;
}

export interface ConsumerContext {
  connection: RedisClient;
  /** BullMQ's key prefix of a queue (one hash tag per queue on a cluster). */
  prefixOf(queue: string): string;
  partitions: number;
  tuning: WorkerTuning;
  logger: Logger;
  onClosed(consumer: BullMqConsumer): void;
}

/**
 * One `consume` call on the BullMQ box: a worker on the main queue (up to
 * `concurrency` jobs) and one on each ordering partition (one job at a time,
 * enforced across processes by the partition's global concurrency of 1). A
 * semaphore keeps the handlers in flight across all of them within `concurrency`.
 */
export class BullMqConsumer implements Consumer {
  private readonly workers: Worker[] = [];
  private readonly slots: Semaphore;
  private readonly attempts: number;
  private readonly abort = new AbortController();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly ctx: ConsumerContext,
    private readonly queue: string,
    private readonly handler: JobHandler<unknown>,
    private readonly opts: ConsumeOptions,
  ) {
    this.slots = new Semaphore(opts.concurrency);
    this.attempts = opts.attempts ?? 1;
  }

  static async start(ctx: ConsumerContext, queue: string, handler: JobHandler<unknown>, opts: ConsumeOptions): Promise<BullMqConsumer> {
    const consumer = new BullMqConsumer(ctx, queue, handler, opts);
    await consumer.init();
    return consumer;
  }

  async close(timeoutMs = 30_000): Promise<void> {
    this.closing ??= this.shutdown(timeoutMs).finally(() => this.ctx.onClosed(this));
    return this.closing;
  }

  private async init(): Promise<void> {
    const names = Array.from({ length: this.ctx.partitions }, (_, i) => partitionQueue(this.queue, i));
    // The limit must hold before any worker takes from a partition, or two jobs of one key could overlap.
    await Promise.all(names.map((name) => this.limitToOne(name)));
    this.workers.push(this.worker(this.queue, this.opts.concurrency, (job) => this.processJob(job)));
    for (const name of names) this.workers.push(this.worker(name, 1, (job, token) => this.processKeyed(job, token)));
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
  }

  private async limitToOne(name: string): Promise<void> {
    const q = new Queue(name, { connection: this.ctx.connection, prefix: this.ctx.prefixOf(name) });
    logErrors(q, this.ctx.logger, `queue ${name}`, 'debug');
    try {
      await q.setGlobalConcurrency(1);
    } finally {
      await q.close();
    }
  }

  private worker(name: string, concurrency: number, processor: (job: Job<WireJob>, token?: string) => Promise<void>): Worker {
    const { tuning } = this.ctx;
    const worker = new Worker<WireJob>(name, processor, {
      connection: this.ctx.connection,
      prefix: this.ctx.prefixOf(name),
      concurrency,
      lockDuration: tuning.lockDurationMs ?? 30_000,
      stalledInterval: tuning.stalledIntervalMs ?? 30_000,
      maxStalledCount: tuning.maxStalledCount ?? 1,
      settings: {
        backoffStrategy: (attemptsMade: number, type?: string) => (type === BACKOFF_TYPE ? backoffDelay(this.opts.backoffMs, attemptsMade) : 0),
      },
    });
    logErrors(worker, this.ctx.logger, `worker ${name}`);
    // A job that stalled too often (its workers kept dying) fails without reaching a processor.
    worker.on('failed', (job, err) => {
      if (job?.deferredFailure) void this.deadLetter(this.view(job, Math.max(1, job.attemptsMade)), err);
    });
    return worker;
  }

  /** Main queue: a failed attempt goes back to BullMQ, which redelivers it after the backoff. */
  private async processJob(job: Job<WireJob>): Promise<void> {
    // A stalled job (its worker died) comes back with attemptsMade unchanged: count the stall as a delivery.
    const view = this.view(job, job.attemptsMade + 1 + (job.stalledCounter ?? 0));
    const error = await this.run(view);
    if (!error) return;
    if (view.attempt >= this.attempts) {
      await this.deadLetter(view, error);
      throw new UnrecoverableError(error.message);
    }
    throw error;
  }

  /**
   * Partition queue: retry in place. The job keeps its partition's only slot, so the
   * later jobs of its key wait behind it and order holds. The attempt count is saved
   * with the job so a crash mid-backoff does not reset it.
   */
  private async processKeyed(job: Job<WireJob>, token?: string): Promise<void> {
    let attempt = (job.data.a ?? job.attemptsMade) + 1 + (job.stalledCounter ?? 0);
    for (;;) {
      const view = this.view(job, attempt, true);
      const error = await this.run(view);
      if (!error) return;
      if (attempt >= this.attempts) {
        await this.deadLetter(view, error);
        throw new UnrecoverableError(error.message);
      }
      await job.updateData({ ...job.data, a: attempt });
      await this.pause(backoffDelay(this.opts.backoffMs, attempt));
      attempt++;
      if (this.abort.signal.aborted) {
        // Closing: hand the job back to the head of its partition for another worker.
        await job.moveToWait(token);
        throw new WaitingError();
      }
    }
  }

  private async run(view: BoxJob<unknown>): Promise<Error | undefined> {
    await this.slots.acquire();
    try {
      await this.handler(view);
      return undefined;
    } catch (err) {
      return toError(err);
    } finally {
      this.slots.release();
    }
  }

  private async deadLetter(view: BoxJob<unknown>, error: Error): Promise<void> {
    const log = { queue: this.queue, jobId: view.id, attempt: view.attempt, err: error.message };
    if (!this.opts.onDeadLetter) {
      this.ctx.logger.error(log, 'job failed for good (no dead-letter handler); it stays in the failed set');
      return;
    }
    try {
      await this.opts.onDeadLetter(view, error);
    } catch (err) {
      this.ctx.logger.error({ ...log, deadLetterErr: toError(err).message }, 'dead-letter handler failed; the job stays in the failed set');
    }
  }

  private view(job: Job<WireJob>, attempt: number, copy = false): BoxJob<unknown> {
    const raw = job.data as WireJob | Record<string, unknown>;
    // A job from any other BullMQ producer (a queue on-ramp's feed) carries its data as is.
    const wire: WireJob = raw && typeof raw === 'object' && 'd' in raw ? (raw as WireJob) : { d: raw };
    // Keyed retries reuse one parsed job: copy so a handler's mutation cannot leak into the next attempt.
    const data = copy ? jsonCopy(wire.d) : wire.d;
    const view: BoxJob<unknown> = { id: wire.i ?? job.id!, queue: this.queue, data, attempt };
    if (wire.k !== undefined) view.orderingKey = wire.k;
    return view;
  }

  private pause(ms: number): Promise<void> {
    if (ms <= 0 || this.abort.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      this.abort.signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.abort.abort();
    const closed = Promise.all(this.workers.map((w) => w.close())).then(() => true);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const clean = await Promise.race([closed, timedOut]).finally(() => clearTimeout(timer));
    if (!clean) {
      // Jobs still running keep their locks until they end or expire; another worker takes them over then.
      this.ctx.logger.warn({ queue: this.queue, timeoutMs }, 'consumer closed with jobs still in flight');
      closed.catch(() => undefined);
    }
  }
}
