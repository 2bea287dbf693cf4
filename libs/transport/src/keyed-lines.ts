import type { Job, JobsOptions, Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '@itinera/core';
import type { WireJob } from './bullmq.wire';
import { SessionSequencer, lineKeys, type LineKeys } from './session-sequencer';

/** How long the lines wait before they look again; tests shorten them. */
export interface OrderingTuning {
  /**
   * A job behind its key's turn waits as a delayed job for this long, then looks again
   * (default 30 000). Normally the job before it wakes it at once; the timeout only
   * matters after a crash between a job's end and that wake-up.
   */
  parkMs?: number;
  /** A turn held by a job BullMQ does not know for this long is given up (default 60 000): see README. */
  staleMs?: number;
}

export const DEFAULT_PARK_MS = 30_000;
export const DEFAULT_STALE_MS = 60_000;

/**
 * Per-key order on one shared BullMQ queue: a job with an ordering key joins its key's
 * line when published and runs only while it heads the line. Jobs behind wait as
 * delayed jobs in Redis (no worker slot, no process timer); the head, when it ends,
 * promotes the next. Jobs of other keys, and jobs without a key, never wait for them.
 */
export class KeyedLines {
  private readonly seq: SessionSequencer;
  private readonly parkMs: number;
  private readonly staleMs: number;

  constructor(
    redis: Redis | Cluster,
    tuning: OrderingTuning,
    private readonly logger: Logger,
  ) {
    this.seq = new SessionSequencer(redis);
    this.parkMs = tuning.parkMs ?? DEFAULT_PARK_MS;
    this.staleMs = tuning.staleMs ?? DEFAULT_STALE_MS;
  }

  /**
   * Publish a keyed job: join the line, then add the job, ready if it heads the line,
   * else delayed. A head that ended between the two could not promote a job not added
   * yet, so the publisher looks once more after adding.
   */
  async add(queue: Queue, name: string, wire: WireJob, jobId: string, opts: JobsOptions): Promise<void> {
    const keys = this.keys(queue, wire.k!);
    const place = await this.seq.enlist(keys, queue.toKey(jobId), jobId);
    if (place === 'duplicate') return;
    await queue.add(name, wire, { ...opts, jobId, delay: place === 'behind' ? this.parkMs : undefined });
    if (place !== 'behind') return;
    // The box holds the job now: a failed look must not tell the publisher "not accepted"
    // (its retry would run the job twice). Unpromoted, the job looks by itself after parkMs.
    try {
      if (await this.seq.isHead(keys, jobId)) await this.promote(queue, jobId);
    } catch (err) {
      this.logger.debug({ queue: queue.name, jobId, err: (err as Error).message }, 'accepted; the job looks at its line by itself after parkMs');
    }
  }

  /**
   * May `job` run now? `done`: it left its line already (it ended, then its worker died
   * before BullMQ recorded the end): completing it without a run keeps it exactly once.
   * The job next in line also checks that the head is still alive (see `headIsGone`).
   */
  async turn(queue: Queue, key: string, jobId: string): Promise<'run' | 'done' | 'wait'> {
    const keys = this.keys(queue, key);
    let turn = await this.seq.turn(keys, jobId);
    const gone = turn.kind === 'wait' && turn.next ? await this.headIsGone(queue, turn.head, turn.headSince) : undefined;
    if (turn.kind === 'wait' && gone) {
      this.logger.warn(
        { queue: queue.name, orderingKey: key, jobId: turn.head, state: gone },
        'giving up the turn of a job that ended or vanished without releasing it',
      );
      const next = gone === 'unknown' ? await this.seq.drop(keys, turn.head) : await this.seq.release(keys, turn.head);
      if (next !== undefined && next !== jobId) await this.promote(queue, next);
      turn = await this.seq.turn(keys, jobId);
    }
    return turn.kind;
  }

  /**
   * Put a job that is not at the head back as delayed (the caller then throws BullMQ's
   * DelayedError). If the head released it meanwhile, its promote found the job still
   * active and failed, so the job promotes itself.
   */
  async park(queue: Queue, job: Job, key: string, token: string | undefined): Promise<void> {
    await job.moveToDelayed(Date.now() + this.parkMs, token);
    if (await this.seq.isHead(this.keys(queue, key), job.id!)) await this.promote(queue, job.id!);
  }

  /** The head ended (completed or dead-lettered): pass the turn to the next job of its key. */
  async release(queue: Queue, key: string, jobId: string): Promise<void> {
    const next = await this.seq.release(this.keys(queue, key), jobId);
    if (next !== undefined) await this.promote(queue, next);
  }

  private keys(queue: Queue, key: string): LineKeys {
    return lineKeys((type) => queue.toKey(type), key);
  }

  /**
   * A head BullMQ finished (a job whose stalls exhausted it, when the process failing it
   * died before releasing) or never got (its publisher died between joining the line and
   * adding it, and never published again) would hold its key for ever. A head unknown to
   * BullMQ gets `staleMs` first, as its publisher may still be adding it, and leaves a
   * tombstone: should its job show up even later, it joins the line again instead of
   * passing for a job that ended.
   */
  private async headIsGone(queue: Queue, head: string, since: number): Promise<'ended' | 'unknown' | undefined> {
    const state = await queue.getJobState(head);
    if (state === 'completed' || state === 'failed') return 'ended';
    return state === 'unknown' && Date.now() - since > this.staleMs ? 'unknown' : undefined;
  }

  /**
   * Move a delayed job to the wait list. It fails when the job is not delayed: waiting
   * (it will run), active (it parks and looks again), or not added yet (its publisher
   * looks again): each of those moves on by itself.
   */
  private async promote(queue: Queue, jobId: string): Promise<void> {
    try {
      await queue.backend.promote(jobId);
    } catch (err) {
      this.logger.debug({ queue: queue.name, jobId, err: (err as Error).message }, 'promote found the job not delayed');
    }
  }
}
