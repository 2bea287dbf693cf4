import { invalidOption } from './transport-errors';

/** BullMQ joins key parts with ':', so a queue name must not contain one; both boxes enforce it alike. */
export function assertQueueName(queue: string): void {
  if (typeof queue !== 'string' || queue.length === 0 || queue.includes(':')) {
    throw invalidOption(`Queue name ${JSON.stringify(queue)} is not valid: use a non-empty name without ':' (for example "itinera.work").`);
  }
}

export function partitionQueue(queue: string, index: number): string {
  return `${queue}.p${index}`;
}

/** FNV-1a: stable across processes and Node versions, so every publisher picks the same partition. */
export function partitionOf(orderingKey: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < orderingKey.length; i++) {
    h ^= orderingKey.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

/** Delay before retry number `failedAttempt + 1`: backoffMs, 2×, 4× … (BullMQ's exponential formula). */
export function backoffDelay(backoffMs: number | undefined, failedAttempt: number): number {
  if (!backoffMs || backoffMs <= 0) return 0;
  return Math.round(backoffMs * 2 ** (failedAttempt - 1));
}
