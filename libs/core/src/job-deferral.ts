/**
 * Thrown by a job handler to have its job run again later, as the same delivery: after
 * `delayMs`, with `data` (when given) in place of the job's data, and no attempt counted.
 * The wait happens in the box (a delayed job in Redis, a timer in the embedded box), not
 * in the handler, so the handler's slot is free meanwhile; a job with an ordering key
 * keeps its turn, so the later jobs of its key still wait behind it.
 */
export class JobDeferral extends Error {
  readonly code = 'JOB_DEFERRED';

  constructor(
    readonly delayMs: number,
    readonly data?: unknown,
  ) {
    super(`job deferred for ${delayMs} ms`);
    this.name = 'JobDeferral';
  }
}

/** By name as well as class: a handler bundled with its own copy of this module still defers. */
export function isJobDeferral(err: unknown): err is JobDeferral {
  return err instanceof JobDeferral || (err instanceof Error && err.name === 'JobDeferral' && typeof (err as JobDeferral).delayMs === 'number');
}
