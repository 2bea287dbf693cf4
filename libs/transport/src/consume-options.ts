import type { ConsumeOptions } from '@itinera/core';
import { invalidOption } from './transport-errors';

export function assertConsumeOptions(opts: ConsumeOptions): void {
  if (!Number.isInteger(opts?.concurrency) || opts.concurrency < 1) {
    throw invalidOption(`consume: concurrency must be an integer >= 1 (got ${String(opts?.concurrency)}).`);
  }
  if (opts.attempts !== undefined && (!Number.isInteger(opts.attempts) || opts.attempts < 1)) {
    throw invalidOption(`consume: attempts must be an integer >= 1 (got ${String(opts.attempts)}).`);
  }
  if (opts.backoffMs !== undefined && !(opts.backoffMs >= 0)) {
    throw invalidOption(`consume: backoffMs must be >= 0 (got ${String(opts.backoffMs)}).`);
  }
}
