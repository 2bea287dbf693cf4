import { ItineraError } from '@itinera/core';

export function transportUnavailable(cause: unknown, what = 'Redis'): ItineraError {
  if (cause instanceof ItineraError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new ItineraError(
    'TRANSPORT_UNAVAILABLE',
    `The message box could not reach ${what} (${reason}). Nothing was accepted: retry shortly, and check that redis-server is running and ITINERA_REDIS_URL points to it.`,
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
