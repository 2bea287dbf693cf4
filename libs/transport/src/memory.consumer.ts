import { isJobDeferral, jsonCopy, type BoxJob, type ConsumeOptions, type Consumer, type JobHandler, type Logger } from '@itinera/core';
import type { MemoryJob, MemoryQueue, MemoryWorker } from './memory.queue';
import { backoffDelay } from './queue-names';
import { toError } from './transport-errors';

/** One `consume` call on the memory box: runs up to `concurrency` handlers at once. */
export class MemoryConsumer implements Consumer, MemoryWorker {
  private inFlight = 0;
  private closed = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly queue: MemoryQueue,
    private readonly handler: JobHandler<unknown>,
    private readonly opts: ConsumeOptions,
    private readonly logger: Logger,
    private readonly onClosed: (c: MemoryConsumer) => void,
  ) {}

  hasCapacity(): boolean {
    return !this.closed && this.inFlight < this.opts.concurrency;
  }

  start(job: MemoryJob): void {
    this.inFlight++;
    void this.run(job);
  }

  async close(timeoutMs = 30_000): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.queue.detach(this);
      this.onClosed(this);
    }
    if (this.inFlight === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([new Promise<void>((resolve) => this.idle.push(resolve)), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  private async run(job: MemoryJob): Promise<void> {
    try {
      await this.handler(this.view(job));
      this.queue.finish(job);
    } catch (thrown) {
      if (isJobDeferral(thrown)) {
        // The same delivery, later: no attempt counted, and a keyed job keeps its key meanwhile.
        if (thrown.data !== undefined) job.data = copyOr(thrown.data, job.data);
        this.queue.retry(job, Math.max(0, thrown.delayMs));
        return;
      }
      const error = toError(thrown);
      const attempts = this.opts.attempts ?? 1;
      if (job.attempt < attempts) {
        const delay = backoffDelay(this.opts.backoffMs, job.attempt);
        job.attempt++;
        this.queue.retry(job, delay);
      } else {
        await this.deadLetter(job, error);
        this.queue.finish(job);
      }
    } finally {
      this.inFlight--;
      if (this.inFlight === 0 && this.idle.length > 0) for (const resolve of this.idle.splice(0)) resolve();
      this.queue.wake();
    }
  }

  private async deadLetter(job: MemoryJob, error: Error): Promise<void> {
    if (!this.opts.onDeadLetter) {
      this.logger.error({ queue: job.queue, jobId: job.id, attempt: job.attempt, err: error.message }, 'job failed for good (no dead-letter handler)');
      return;
    }
    try {
      await this.opts.onDeadLetter(this.view(job), error);
    } catch (err) {
      this.logger.error({ queue: job.queue, jobId: job.id, err: toError(err).message }, 'dead-letter handler failed');
    }
  }

  /** A fresh copy per delivery: a handler that mutates its data cannot change what a retry sees. */
  private view(job: MemoryJob): BoxJob<unknown> {
    const data = jsonCopy(job.data);
    const view: BoxJob<unknown> = { id: job.id, queue: job.queue, data, attempt: job.attempt };
    if (job.orderingKey !== undefined) view.orderingKey = job.orderingKey;
    return view;
  }
}

/** Deferred data that is not plain JSON cannot be stored (the BullMQ box could not either): keep what the job had. */
function copyOr(data: unknown, previous: unknown): unknown {
  try {
    return jsonCopy(data);
  } catch {
    return previous;
  }
}
