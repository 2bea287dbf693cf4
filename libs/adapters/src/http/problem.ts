import type { FastifyReply } from 'fastify';
import { ItineraError, toItineraError } from '@itinera/core';
import { retryAfterOf } from '../limits/on-ramp-limits';

/**
 * RFC 9457 problem details, as every HTTP error of the bus is answered.
 *
 * `type` is the relative URI reference `/problems/<code-in-kebab-case>` (for example
 * `/problems/itinerary-not-found`): it resolves against the bus that answered, so it
 * names the problem without tying it to a domain the deployment may not own. The
 * stable machine-readable identity is `code`; clients should switch on that.
 */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: { pointer: string; message: string; file?: string }[];
  /** Extension members (RFC 9457 §3.2), e.g. the client's message `id`. */
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
export const PROBLEM_TYPE_BASE = '/problems/';

/** `ITINERARY_NOT_FOUND` → `itinerary-not-found`. */
export function codeToKebab(code: string): string {
  return code.toLowerCase().replace(/_/g, '-');
}

/** `ITINERARY_NOT_FOUND` → `Itinerary not found`. */
export function codeToTitle(code: string): string {
  const words = code.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const INTERNAL_DETAIL = 'The bus failed while handling the request; retry later, and if it persists see the server log.';

/** The problem body for an error; 5xx INTERNAL errors never leak their internal message. */
export function problemOf(err: ItineraError, instance?: string): ProblemDetails {
  const status = err.status;
  const body: ProblemDetails = {
    type: PROBLEM_TYPE_BASE + codeToKebab(err.code),
    title: codeToTitle(err.code),
    status,
    detail: err.code === 'INTERNAL' ? INTERNAL_DETAIL : err.message,
    code: err.code,
  };
  if (instance !== undefined) body.instance = instance;
  if (err.details && err.details.length > 0) {
    body.errors = err.details.map((d) => ({ pointer: d.pointer, message: d.message, ...(d.file ? { file: d.file } : {}) }));
  }
  return body;
}

/**
 * Answer with `application/problem+json`. Anything thrown is accepted (turned into
 * an ItineraError); `extra` adds extension members. 401 answers carry
 * `WWW-Authenticate: Bearer`; 503 and 429 answers may carry `Retry-After`.
 */
export function sendProblem(reply: FastifyReply, error: unknown, instance?: string, extra?: Record<string, unknown> & { retryAfterMs?: number }): FastifyReply {
  const err = toItineraError(error);
  const { retryAfterMs: extraRetry, ...members } = extra ?? {};
  // A RATE_LIMITED error says when to retry: the header and the body member carry it.
  const retryAfterMs = extraRetry ?? retryAfterOf(err);
  const body = { ...problemOf(err, instance), ...members, ...(retryAfterMs !== undefined && err.code === 'RATE_LIMITED' ? { retryAfterMs } : {}) };
  if (body.status === 401) reply.header('www-authenticate', 'Bearer');
  if (retryAfterMs !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  return reply.code(body.status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

/**
 * Fastify's own request errors (body parser, size limit, media type) as
 * ItineraErrors with the bus's codes; everything else goes through toItineraError.
 */
export function fromFastifyError(error: unknown): ItineraError {
  if (error instanceof ItineraError) return error;
  const e = (error ?? {}) as { code?: string; statusCode?: number; message?: string };
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ItineraError('PAYLOAD_TOO_LARGE', 'The request body is larger than this endpoint accepts; send a smaller body.', { cause: error });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ItineraError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as JSON with Content-Type: application/json.', { cause: error });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ItineraError('INVALID_JSON', 'The body is empty but Content-Type says JSON; send a JSON object.', { cause: error });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ItineraError('INVALID_JSON', `The body is not valid JSON (${e.message ?? 'parse error'}); send a JSON object.`, { cause: error });
  }
  if (error instanceof SyntaxError && e.statusCode === 400) {
    return new ItineraError('INVALID_JSON', `The body is not valid JSON (${error.message}); send a JSON object.`, { cause: error });
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 && e.code?.startsWith('FST_')) {
    return new ItineraError('BAD_REQUEST', e.message ?? 'Bad request.', { cause: error });
  }
  return toItineraError(error);
}
