import { invalidOption } from './transport-errors';

/** BullMQ joins key parts with ':', so a queue name must not contain one; both boxes enforce it alike. */
export function assertQueueName(queue: string): void {
  if (typeof queue !== 'string' || queue.length === 0 || queue.includes(':')) {
    throw invalidOption(`Queue name ${JSON.stringify(queue)} is not valid: use a non-empty name without ':' (for example "itinera.work").`);
  }
}

/** Delay before retry number `failedAttempt + 1`: backoffMs, 2×, 4× … (BullMQ's exponential formula). */
export function backoffDelay(backoffMs: number | undefined, failedAttempt: number): number {
  if (!backoffMs || backoffMs <= 0) return 0;
  return Math.round(backoffMs * 2 ** (failedAttempt - 1));
}
