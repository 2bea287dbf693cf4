import { ItineraError, jsonCopy, newId, silentLogger } from '@itinera/core';
import type { ConsumeOptions, Consumer, JobHandler, Logger, MessageBox, PublishOptions, QueueStats } from '@itinera/core';
import { assertConsumeOptions } from './consume-options';
import { MemoryConsumer } from './memory.consumer';
import { MemoryQueue, type MemoryJob } from './memory.queue';
import { assertQueueName } from './queue-names';
import { boxClosed } from './transport-errors';

export interface MemoryMessageBoxOptions {
  /** How many finished job ids each queue remembers for `jobId` dedupe (default 10 000). */
  recentIds?: number;
  logger?: Logger;
}

/**
 * The embedded message box: in-process queues with the same semantics as the
 * BullMQ box (copies, retries, backoff, dead letters, delays, dedupe, ordering
 * keys). Nothing survives the process: it suits one-process deployments and tests.
 */
export class MemoryMessageBox implements MessageBox {
  readonly kind = 'memory';
  private readonly queues = new Map<string, MemoryQueue>();
  private readonly consumers = new Set<MemoryConsumer>();
  private readonly recentIds: number;
  private readonly logger: Logger;
  private closed = false;

  constructor(opts: MemoryMessageBoxOptions = {}) {
    this.recentIds = opts.recentIds ?? 10_000;
    this.logger = opts.logger ?? silentLogger;
  }

  async publish<T>(queue: string, data: T, opts: PublishOptions = {}): Promise<void> {
    if (this.closed) throw boxClosed();
    assertQueueName(queue);
    const q = this.queue(queue);
    if (opts.jobId !== undefined && q.holds(opts.jobId)) return;
    let copy: unknown;
    try {
      // A deep copy with the result of a JSON round trip, as the BullMQ box stores it: no caller
      // shares state with a handler, and both boxes accept (and drop) the same things.
      copy = jsonCopy(data);
    } catch (err) {
      throw new ItineraError('INVALID_JOB_DATA', `Job data for queue "${queue}" cannot be serialised: publish plain JSON data.`, { cause: err });
    }
    const job: MemoryJob = { id: opts.jobId ?? newId(), queue, data: copy, attempt: 1 };
    if (opts.orderingKey !== undefined) job.orderingKey = opts.orderingKey;
    q.add(job, opts.delayMs ?? 0);
  }

  async consume<T>(queue: string, handler: JobHandler<T>, opts: ConsumeOptions): Promise<Consumer> {
    if (this.closed) throw boxClosed();
    assertQueueName(queue);
    assertConsumeOptions(opts);
    const q = this.queue(queue);
    const consumer = new MemoryConsumer(q, handler as JobHandler<unknown>, opts, this.logger.child({ queue }), (c) => this.consumers.delete(c));
    this.consumers.add(consumer);
    q.attach(consumer);
    return consumer;
  }

  async isReady(): Promise<boolean> {
    return !this.closed;
  }

  /** Jobs waiting to run (the embedded box knows neither their age nor active ones apart from delayed). */
  async queueStats(queues: readonly string[]): Promise<QueueStats[]> {
    return queues.map((queue) => ({ queue, waiting: this.queues.get(queue)?.waiting() ?? 0 }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.close()));
    for (const q of this.queues.values()) q.dispose();
    this.queues.clear();
  }

  private queue(name: string): MemoryQueue {
    let q = this.queues.get(name);
    if (!q) {
      q = new MemoryQueue(name, this.recentIds);
      this.queues.set(name, q);
    }
    return q;
  }
}
