import { ItineraError, toItineraError, type ErrorDetail, type StepResult } from '@itinera/core';

/** The runner's code for parameters that do not fit the service (kept the same here). */
export const PARAMS_INVALID = 'STEP_PARAMS_INVALID';

export const completed: StepResult = { outcome: 'completed' };

export function faulted(code: string, message: string, details?: ErrorDetail[]): StepResult {
  return { outcome: 'faulted', error: new ItineraError(code, message, details ? { details } : {}) };
}

/**
 * Errors as values at the step boundary: a transient error is thrown again so the
 * runner retries the step; anything else becomes a faulted result.
 */
export function faultFrom(err: unknown, fallbackCode: string): StepResult {
  const error = toItineraError(err, fallbackCode);
  if (error.transient) throw error;
  return { outcome: 'faulted', error };
}

/** Thrown by the shared helpers for parameters that cannot work together; caught by `faultFrom`. */
export function paramsInvalid(message: string, pointer = ''): ItineraError {
  return new ItineraError(PARAMS_INVALID, message, { details: [{ pointer, message }] });
}
