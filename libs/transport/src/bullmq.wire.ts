/** What a BullMQ job's data holds: the caller's data plus what the box needs to deliver it. */
export interface WireJob {
  /** The published data. */
  d: unknown;
  /** Ordering key. */
  k?: string;
  /** The caller's job id, when BullMQ needed it encoded. */
  i?: string;
  /** Failed attempts so far, for keyed jobs retried in place (survives a worker crash). */
  a?: number;
}

/** BullMQ's own attempt limit, set high: the consumer's `attempts` decides when a job is dead. */
export const UNBOUNDED_ATTEMPTS = 1_000_000;

/** Name of the custom backoff strategy: the consumer computes delays from its own `backoffMs`. */
export const BACKOFF_TYPE = 'itinera';
