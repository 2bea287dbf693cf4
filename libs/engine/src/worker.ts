import {
  ItineraError,
  JobDeferral,
  isJobDeferral,
  redactSecrets,
  toItineraError,
  type BoxJob,
  type Consumer,
  type Envelope,
  type Logger,
  type MessageBox,
  type MessageStore,
} from '@itinera/core';
import type { Metrics } from '@itinera/observability';
import { endMessageSpan, startWorkerSpan, traceContextOf, withSpanContext, type ActiveSpan } from '@itinera/observability';
import type { ItineraryRunner } from './runner';
import type { FaultRecorder } from './fault-recorder';
import type { ReplyHub } from './reply-hub';
import { retriesExhausted } from './retries-exhausted';

/** A message still running after this long is marked `running` in its record. */
export const RUNNING_AFTER_MS = 250;

export interface WorkerDeps {
  runner: ItineraryRunner;
  box: MessageBox;
  messages: MessageStore;
  faults: FaultRecorder;
  replies: ReplyHub;
  logger: Logger;
  metrics: Metrics;
  workQueue: string;
  concurrency: number;
  /** Deliveries of one job before it is dead-lettered (infrastructure failures only; steps retry by their own policy). */
  attempts: number;
  backoffMs: number;
}

/**
 * Runs what follows publication: consumes the work queue (and each service
 * queue a step hops to), runs the remaining steps in-process, and records the
 * outcome. A step's failure is a fault, not a thrown job: only infrastructure
 * errors (store or transport unreachable) make the box deliver the job again.
 */
export class BusWorker {
  private readonly consumers: Consumer[] = [];
  private readonly queues = new Set<string>();

  constructor(private readonly deps: WorkerDeps) {}

  async start(hopQueues: Iterable<string>): Promise<void> {
    await this.listen(this.deps.workQueue);
    for (const q of hopQueues) await this.listen(q);
  }

  private async listen(queue: string): Promise<void> {
    if (this.queues.has(queue)) return;
    this.queues.add(queue);
    const { deps } = this;
    const consumer = await deps.box.consume<Envelope>(queue, (job) => this.handle(queue, job), {
      concurrency: deps.concurrency,
      attempts: deps.attempts,
      backoffMs: deps.backoffMs,
      onDeadLetter: async (job, error) => {
        const envelope = job.data as Envelope;
        // The box redelivered the job until its attempts ran out: whatever the error promised, no retry follows.
        await deps.faults.record(
          envelope,
          retriesExhausted(toItineraError(error, 'DELIVERY_FAILED'), job.attempt, "the job's deliveries"),
          undefined,
          job.attempt,
          [],
        );
      },
    });
    this.consumers.push(consumer);
  }

  /** One delivery, in its own span (a child of the span the envelope carries). */
  async handle(queue: string, job: BoxJob<Envelope>): Promise<void> {
    const active = startWorkerSpan(job.data, queue, job.attempt);
    let failure: { code: string; message: string } | undefined;
    try {
      failure = await withSpanContext(active.ctx, () => this.handleIn(queue, job, active));
    } catch (err) {
      // A deferred step retry is no failure: the box runs the message again after the backoff.
      if (!isJobDeferral(err)) failure = { code: toItineraError(err).code, message: 'delivery failed; the box delivers it again' };
      throw err;
    } finally {
      endMessageSpan(active.span, failure);
    }
  }

  /** Runs the steps and records the outcome; resolves with the fault's error, if any. */
  private async handleIn(queue: string, job: BoxJob<Envelope>, active: ActiveSpan): Promise<{ code: string; message: string } | undefined> {
    const { deps } = this;
    const envelope = job.data;
    const traceFrom = envelope.trace.length;
    // 'running' is written only for a message still running after RUNNING_AFTER_MS: most finish
    // sooner, and the write would cost every message a store round trip.
    const running = setTimeout(() => void deps.messages.update(envelope.id, { status: 'running' }).catch(() => undefined), RUNNING_AFTER_MS);
    let result;
    try {
      result = await deps.runner.run(envelope, 'send', {
        queue: queue === deps.workQueue ? undefined : queue,
        attempt: job.attempt,
        parent: active.ctx,
        deferRetries: true,
      });
    } finally {
      clearTimeout(running);
    }
    const newTrace = envelope.trace.slice(traceFrom);
    switch (result.status) {
      case 'completed':
      case 'terminated':
        if (result.status === 'completed' && result.next < deps.runner.definition(envelope).steps.length) {
          const err = new ItineraError('INVALID_ITINERARY', `step ${result.next} is a receive-stage step after publication; move receive-stage steps first`);
          await deps.faults.record(envelope, err, undefined, 1, newTrace);
          return err;
        }
        await deps.messages.update(envelope.id, { status: 'completed', context: redactSecrets(envelope.context) }, newTrace);
        deps.metrics.messageCompleted(envelope.itinerary.name, envelope.origin.transport);
        deps.replies.settled(envelope.id);
        return undefined;
      case 'hop': {
        await deps.messages.update(envelope.id, { status: 'running', context: redactSecrets(envelope.context) }, newTrace);
        // The next queue's worker span is a child of this one.
        const traceContext = traceContextOf(active.span);
        if (traceContext) envelope.traceContext = traceContext;
        await deps.box.publish(result.queue, envelope, {
          jobId: `${envelope.id}.${envelope.itinerary.cursor}`,
          ...(envelope.origin.session ? { orderingKey: envelope.origin.session } : {}),
        });
        await this.listenIfLocal(result.queue);
        return undefined;
      }
      case 'faulted':
        await deps.faults.record(envelope, result.error, result.step, result.attempts, newTrace);
        return result.error;
      case 'deferred':
        // The retry waits in the box, not in this slot; the record gets the failed attempt now,
        // and the envelope (cursor on the step, its `retried` entries) travels with the job.
        await deps.messages.update(envelope.id, { status: 'running' }, newTrace);
        throw new JobDeferral(result.delayMs, envelope);
    }
  }

  /** A worker serves every hop queue named by deployed itineraries; an unknown one is logged. */
  private async listenIfLocal(queue: string): Promise<void> {
    if (!this.queues.has(queue)) this.deps.logger.warn({ queue }, 'message hopped to a queue no worker of this process consumes');
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.close(timeoutMs)));
    this.consumers.length = 0;
    this.queues.clear();
  }
}
