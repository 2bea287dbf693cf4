import { ItineraError, MAX_IDEMPOTENCY_KEY_LENGTH, assertIdempotencyKey } from '@itinera/core';

/** One Ajv error as Fastify hands it to a schema error formatter. */
interface AjvError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

const WHERE: Record<string, string> = { querystring: 'query parameter', params: 'path parameter', headers: 'header' };

/**
 * Fastify's schema error formatter for the bus's routes: a request that breaks its route
 * schema is the error the handler would have thrown, so every error handler answers it as
 * problem+json with the code it always had. A bad `Idempotency-Key` is INVALID_IDEMPOTENCY_KEY,
 * a missing Content-Type UNSUPPORTED_MEDIA_TYPE, anything else BAD_REQUEST with a pointer
 * `/<name>` to the parameter or header (or into the body).
 */
export function validationProblem(errors: AjvError[], context: string): ItineraError {
  const first = errors[0] ?? {};
  const missing = first.keyword === 'required' ? String(first.params?.missingProperty ?? '') : undefined;
  const pointer = missing !== undefined ? `${first.instancePath ?? ''}/${missing}` : (first.instancePath ?? '');
  const name = pointer.slice(1);
  if (context === 'headers' && name === 'idempotency-key') {
    return new ItineraError(
      'INVALID_IDEMPOTENCY_KEY',
      `the Idempotency-Key is empty, longer than ${MAX_IDEMPOTENCY_KEY_LENGTH} characters or not visible ASCII; send 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters (a UUID, for example)`,
    );
  }
  if (context === 'headers' && name === 'content-type') {
    return new ItineraError('UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON with Content-Type: application/json');
  }
  const message = missing !== undefined ? 'is required' : (first.message ?? 'is not valid');
  // Values are not repeated: a header may hold a credential or kilobytes of junk.
  const detail = context === 'body' ? `the body at ${pointer || '/'} ${message}` : `the ${WHERE[context] ?? context} "${name}" ${message}`;
  return new ItineraError('BAD_REQUEST', `${detail}; see /openapi.json for what this route takes`, { details: [{ pointer, message }] });
}

/**
 * The formatter sees no request: a refused Idempotency-Key gets the handler's own message
 * (its length, a short prefix) from the request's header where an error handler has it.
 */
export function withRequestDetail(err: Error, headers: Record<string, unknown>): Error {
  if (!(err instanceof ItineraError) || err.code !== 'INVALID_IDEMPOTENCY_KEY' || !('validation' in err)) return err;
  const key = headers['idempotency-key'];
  try {
    assertIdempotencyKey(typeof key === 'string' ? key : '');
  } catch (refused) {
    return refused as ItineraError;
  }
  return err;
}
