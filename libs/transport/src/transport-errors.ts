import { ItineraError } from '@itinera/core';

export function transportUnavailable(cause: unknown, what = 'Redis'): ItineraError {
  if (cause instanceof ItineraError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  if (OUT_OF_MEMORY.test(reason)) return outOfMemory(reason, cause);
  return new ItineraError(
    'TRANSPORT_UNAVAILABLE',
    `The message box could not reach ${what} (${reason}). Nothing was accepted: retry shortly, and check that redis-server is running and ITINERA_REDIS_URL points to it.`,
    { transient: true, cause },
  );
}

/**
 * A publish that timed out may still land: on a Redis Cluster ioredis resends a command
 * through a failover after the caller stopped waiting. Its outcome is unknown, and only
 * a resend under the same Idempotency-Key (the same job id) is safe.
 */
export function publishUnconfirmed(cause: unknown): ItineraError {
  return new ItineraError(
    'TRANSPORT_UNAVAILABLE',
    'The message box did not confirm the message in time, so it may still run: resend it with the same Idempotency-Key so it runs at most once.',
    { transient: true, cause },
  );
}

/** A publish error that says nothing reached Redis, or `publishUnconfirmed` when it timed out (it may have). */
export function publishFailed(cause: unknown): ItineraError {
  if (cause instanceof ItineraError) return cause;
  const reason = cause instanceof Error ? cause.message : '';
  return /timed out/i.test(reason) ? publishUnconfirmed(cause) : transportUnavailable(cause);
}

/** Redis's answer to a write past `maxmemory` under `noeviction` (also inside a script error). */
const OUT_OF_MEMORY = /\bOOM command not allowed\b/;

/** Reachable, but refusing writes: a retry helps only once memory is freed, so say what to do. */
export function outOfMemory(reason: string, cause?: unknown): ItineraError {
  return new ItineraError(
    'REDIS_OUT_OF_MEMORY',
    `Redis refuses writes: it is at its maxmemory limit (${reason.split('\n')[0].slice(0, 200)}). Nothing was accepted: free memory (let finished jobs and records expire, remove old ones) or raise maxmemory; retry after that.`,
    { transient: true, cause },
  );
}

export function boxClosed(): ItineraError {
  return new ItineraError('SHUTTING_DOWN', 'The message box is closed: this process is shutting down, retry on another instance.', {
    transient: true,
  });
}

export function invalidOption(message: string): ItineraError {
  return new ItineraError('INVALID_TRANSPORT_OPTIONS', message);
}

export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
