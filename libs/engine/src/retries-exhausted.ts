import { ItineraError } from '@itinera/core';

/** What a transient error promises while retries remain; false once they are spent. */
const RETRY_PROMISE = /[;,]?\s*(?:the step will be retried|the operation can be retried)\.?/gi;

/**
 * The error a step faults with once its transient failure has used up every attempt:
 * same code, details and transience, but the message says the retries are exhausted
 * and how many attempts were made, instead of promising another one.
 */
export function retriesExhausted(error: ItineraError, attempts: number, what = "the step's retries"): ItineraError {
  const said = error.message.replace(RETRY_PROMISE, '').trimEnd().replace(/\.$/, '');
  const message = `${said}; not retried again: ${what} are exhausted after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
  return new ItineraError(error.code, message, { details: error.details, transient: error.transient, cause: error });
}
