import type { JobsOptions } from 'bullmq';

/** What a BullMQ job's data holds: the caller's data plus what the box needs to deliver it. */
export interface WireJob {
  /** The published data. */
  d: unknown;
  /** Ordering key. */
  k?: string;
  /** The caller's job id, when BullMQ needed it encoded. */
  i?: string;
  /** A delayed keyed job's timer: when it fires, the job itself joins its key's line. */
  t?: 1;
}

/** BullMQ's own attempt limit, set high: the consumer's `attempts` decides when a job is dead. */
export const UNBOUNDED_ATTEMPTS = 1_000_000;

/** Name of the custom backoff strategy: the consumer computes delays from its own `backoffMs`. */
export const BACKOFF_TYPE = 'itinera';

/** Options of every job the box adds. */
export const JOB_OPTIONS: JobsOptions = { attempts: UNBOUNDED_ATTEMPTS, backoff: { type: BACKOFF_TYPE } };

/** Ends the id of a delayed keyed job's timer; encodeJobId never writes `%d`, so no job id clashes. */
export const TIMER_SUFFIX = '%d';
