import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { isJobDeferral, type RedisClient, type BoxJob, type ConsumeOptions, type Consumer, type JobHandler, type Logger } from '@itinera/core';
import { BACKOFF_TYPE, JOB_OPTIONS, TIMER_SUFFIX, type WireJob } from './bullmq.wire';
import { KeyedLines, type OrderingTuning } from './keyed-lines';
import { warnLegacyPartitions } from './legacy-partitions';
import { backoffDelay } from './queue-names';
import { logErrors } from './redis-connections';
import { toError } from './transport-errors';

/** Worker tuning; the defaults are BullMQ's, tests shorten them to see stalls quickly. */
export interface WorkerTuning extends OrderingTuning {
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
  /** The BullMQ queue this consumer reads: one shard of the logical queue (default: the logical name). */
  shard?: string;
  tuning: WorkerTuning;
  logger: Logger;
  onClosed(consumer: BullMqConsumer): void;
}

/**
 * One `consume` call on the BullMQ box: one BullMQ worker on the queue, up to
 * `concurrency` jobs at once. Jobs with an ordering key share it with the rest: their
 * key's line (KeyedLines) lets one job per key run at a time, and every wait (a key's
 * turn, a retry's backoff, a deferral) is a delayed job in Redis, never a held slot.
 */
export class BullMqConsumer implements Consumer {
  private worker: Worker<WireJob> | undefined;
  private readonly jobs: Queue;
  private readonly lines: KeyedLines;
  private readonly attempts: number;
  /** The BullMQ queue's name; `queue` stays the logical name jobs and logs show. */
  private readonly shard: string;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly ctx: ConsumerContext,
    private readonly queue: string,
    private readonly handler: JobHandler<unknown>,
    private readonly opts: ConsumeOptions,
  ) {
    this.attempts = opts.attempts ?? 1;
    this.shard = ctx.shard ?? queue;
    // For promotes, job states and released timers; on the worker connection, which waits out outages.
    this.jobs = new Queue(this.shard, { connection: ctx.connection, prefix: ctx.prefixOf(this.shard) });
    logErrors(this.jobs, ctx.logger, `queue ${this.shard}`, 'debug');
    this.lines = new KeyedLines(ctx.connection, ctx.tuning, ctx.logger);
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
    const { tuning } = this.ctx;
    const worker = new Worker<WireJob>(this.shard, (job, token) => this.process(job, token), {
      connection: this.ctx.connection,
      prefix: this.ctx.prefixOf(this.shard),
      concurrency: this.opts.concurrency,
      lockDuration: tuning.lockDurationMs ?? 30_000,
      stalledInterval: tuning.stalledIntervalMs ?? 30_000,
      maxStalledCount: tuning.maxStalledCount ?? 1,
      settings: {
        backoffStrategy: (attemptsMade: number, type?: string) => (type === BACKOFF_TYPE ? backoffDelay(this.opts.backoffMs, attemptsMade) : 0),
      },
    });
    logErrors(worker, this.ctx.logger, `worker ${this.shard}`);
    // A job that stalled too often (its workers kept dying) fails without reaching a processor.
    worker.on('failed', (job, err) => {
      if (job?.deferredFailure) void this.failedByStalls(job, err);
    });
    this.worker = worker;
    await worker.waitUntilReady();
    // Once per logical queue: shard 0 carries its name.
    if (this.shard === this.queue) void warnLegacyPartitions(this.ctx.connection, this.ctx.prefixOf, this.queue, this.ctx.logger);
  }

  private async process(job: Job<WireJob>, token?: string): Promise<void> {
    const wire = this.wire(job);
    if (wire.t) return this.releaseTimer(job, wire);
    const key = wire.k;
    if (key !== undefined) {
      const turn = await this.lines.turn(this.jobs, key, job.id!);
      if (turn === 'done') return;
      if (turn === 'wait') {
        await this.lines.park(this.jobs, job, key, token);
        throw new DelayedError();
      }
    }
    // A stalled job (its worker died) comes back with attemptsMade unchanged: count the stall as a delivery.
    const view = this.view(job, wire, job.attemptsMade + 1 + (job.stalledCounter ?? 0));
    let error: Error | undefined;
    try {
      await this.handler(view);
    } catch (err) {
      error = toError(err);
    }
    if (error && isJobDeferral(error)) {
      // Wait in Redis, as the same delivery: the slot is free and a keyed job keeps its turn.
      if (error.data !== undefined) await job.updateData({ ...wire, d: error.data });
      await job.moveToDelayed(Date.now() + Math.max(0, error.delayMs), token);
      throw new DelayedError();
    }
    if (!error) {
      if (key !== undefined) await this.lines.release(this.jobs, key, job.id!);
      return;
    }
    if (view.attempt >= this.attempts) {
      await this.deadLetter(view, error);
      if (key !== undefined) await this.lines.release(this.jobs, key, job.id!);
      throw new UnrecoverableError(error.message);
    }
    // BullMQ redelivers it after the backoff (a delayed job); a keyed job keeps its turn meanwhile.
    throw error;
  }

  /** A delayed keyed job joins its key's line when its delay ends (as on the embedded box). */
  private async releaseTimer(job: Job<WireJob>, wire: WireJob): Promise<void> {
    const { t: _timer, ...real } = wire;
    await this.lines.add(this.jobs, job.name, real, job.id!.slice(0, -TIMER_SUFFIX.length), JOB_OPTIONS);
  }

  private async failedByStalls(job: Job<WireJob>, err: Error): Promise<void> {
    const wire = this.wire(job);
    await this.deadLetter(this.view(job, wire, Math.max(1, job.attemptsMade)), err);
    if (wire.k !== undefined && !wire.t) {
      await this.lines.release(this.jobs, wire.k, job.id!).catch((e: unknown) => {
        this.ctx.logger.warn(
          { queue: this.queue, jobId: job.id, err: toError(e).message },
          'could not pass the turn on; the next job takes it when it looks again',
        );
      });
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

  /** A job from any other BullMQ producer (a queue on-ramp's feed) carries its data as is. */
  private wire(job: Job<WireJob>): WireJob {
    const raw = job.data as WireJob | Record<string, unknown>;
    return raw && typeof raw === 'object' && 'd' in raw ? (raw as WireJob) : { d: raw };
  }

  private view(job: Job<WireJob>, wire: WireJob, attempt: number): BoxJob<unknown> {
    // No copy: each delivery parses the job afresh, and a deferral stores the data it names.
    const view: BoxJob<unknown> = { id: wire.i ?? job.id!, queue: this.queue, data: wire.d, attempt };
    if (wire.k !== undefined) view.orderingKey = wire.k;
    return view;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    const closed = Promise.all([this.worker?.close()]).then(() => true);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const clean = await Promise.race([closed, timedOut]).finally(() => clearTimeout(timer));
    if (!clean) {
      // Jobs still running keep their locks until they end or expire; another worker takes them over then.
      this.ctx.logger.warn({ queue: this.queue, timeoutMs }, 'consumer closed with jobs still in flight');
      closed.catch(() => undefined);
    }
    await this.jobs.close().catch(() => undefined);
  }
}
