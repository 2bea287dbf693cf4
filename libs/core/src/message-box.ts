/**
 * The message box: the transport between on-ramps and workers. `memory`
 * (embedded) and `bullmq` (Redis) implement it and pass one conformance suite.
 */
export interface PublishOptions {
  /** Deterministic id: publishing the same id twice holds one job. */
  jobId?: string;
  delayMs?: number;
  /** Jobs with the same key run one at a time, in publish order (per-session order). */
  orderingKey?: string;
}

export interface BoxJob<T = unknown> {
  id: string;
  queue: string;
  data: T;
  /** 1 on the first delivery. */
  attempt: number;
  orderingKey?: string;
}

export interface ConsumeOptions {
  concurrency: number;
  /** Total deliveries before the job is dead-lettered (handler kept throwing). */
  attempts?: number;
  backoffMs?: number;
  /** Called once when a job fails for good. */
  onDeadLetter?(job: BoxJob, error: Error): Promise<void> | void;
}

export type JobHandler<T = unknown> = (job: BoxJob<T>) => Promise<void>;

export interface Consumer {
  /** Stop taking jobs; wait for those in flight (up to `timeoutMs`). */
  close(timeoutMs?: number): Promise<void>;
}

export interface QueueStats {
  queue: string;
  waiting: number;
  /** Absent where the box does not know them (the embedded box). */
  active?: number;
  delayed?: number;
  /** Age of the oldest waiting job in ms; 0 when none waits, absent where unknown. */
  oldestWaitingMs?: number;
}

export interface MessageBox {
  readonly kind: string;
  /** Resolves once the box durably holds the job; rejects with TRANSPORT_UNAVAILABLE otherwise. */
  publish<T>(queue: string, data: T, opts?: PublishOptions): Promise<void>;
  consume<T>(queue: string, handler: JobHandler<T>, opts: ConsumeOptions): Promise<Consumer>;
  /** Reachable and able to take work. */
  isReady(): Promise<boolean>;
  /**
   * Like `isReady`, but says why not: resolves when the box can take work, rejects with an
   * ItineraError otherwise (TRANSPORT_UNAVAILABLE, or REDIS_OUT_OF_MEMORY when Redis refuses writes).
   */
  checkReady?(): Promise<void>;
  /**
   * A synchronous hint: false when the box knows it cannot take work right now
   * (its connection is down), so on-ramps refuse at once instead of waiting for a timeout.
   */
  available?(): boolean;
  /** For metrics: jobs per state and the age of the oldest waiting job, per queue. */
  queueStats?(queues: readonly string[]): Promise<QueueStats[]>;
  close(): Promise<void>;
}
