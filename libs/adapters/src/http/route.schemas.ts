import type { FastifyInstance } from 'fastify';
import { validationProblem } from './validation-problem';

/**
 * Pieces shared by the route schemas: the problem+json body, the security
 * requirements and the documentation-only parts.
 *
 * Fastify validates params, query strings and headers with these schemas and
 * serialises 2xx bodies with them; the OpenAPI document (/openapi.json) is
 * generated from the same schemas. Request bodies whose checks give specific
 * codes and pointers today (a message against its action's schema, a duplex
 * send, a fault repair) are checked by the code as before and only described
 * here (`docs`), so their problem answers stay what they were.
 */

/** RFC 9457 problem details as every HTTP error of the bus is answered (problem.ts). */
export const PROBLEM_SCHEMA = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details. Switch on `code` (stable, upper snake case); `detail` says what to do.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', description: '`/problems/<code in kebab case>`, relative to the bus that answered.', examples: ['/problems/itinerary-not-found'] },
    title: { type: 'string', examples: ['Itinerary not found'] },
    status: { type: 'integer', examples: [404] },
    detail: { type: 'string' },
    code: { type: 'string', pattern: '^[A-Z][A-Z0-9_]+$', examples: ['ITINERARY_NOT_FOUND'] },
    instance: { type: 'string', description: 'The request path.' },
    errors: {
      type: 'array',
      description: 'Where the request is wrong: JSON pointers into the body, or `/<name>` of a query parameter or header.',
      items: {
        type: 'object',
        required: ['pointer', 'message'],
        properties: { pointer: { type: 'string' }, message: { type: 'string' }, file: { type: 'string' } },
      },
    },
    retryAfterMs: { type: 'integer', description: 'With RATE_LIMITED and SHUTTING_DOWN: when to retry (also the Retry-After header).' },
  },
  additionalProperties: true,
} as const;

/** `POST` answers of an accepted message (HTTP on-ramp, fault resubmission). */
export const ACCEPTED_SCHEMA = {
  $id: 'Accepted',
  type: 'object',
  description: 'The message is durably accepted; follow it at `Location` (`GET /messages/{messageId}`).',
  required: ['messageId', 'correlationId', 'itinerary', 'status'],
  properties: {
    messageId: { type: 'string' },
    correlationId: { type: 'string' },
    itinerary: { type: 'string', description: '`name@version` of the itinerary that took it.', examples: ['calculator@1.0.0'] },
    status: { type: 'string', enum: ['accepted', 'running', 'completed', 'faulted'] },
  },
} as const;

/** Callback and fault frames of a duplex session's outbox (the `items` of a poll). */
export const OUTBOX_FRAME_SCHEMA = {
  $id: 'OutboxFrame',
  type: 'object',
  description: 'A `callback` or `fault` frame, numbered by the per-session `seq` (from 1, no gaps, in order).',
  required: ['type', 'seq', 'correlationId'],
  properties: {
    type: { type: 'string', enum: ['callback', 'fault'] },
    seq: { type: 'integer', minimum: 1 },
    correlationId: { type: 'string' },
    id: { type: 'string', description: "The client's id of the message that produced it, when known." },
    action: { type: 'string', description: 'callback: the callback operation, e.g. `Result`.' },
    body: { description: 'callback: its JSON body.' },
    error: {
      type: 'object',
      description: 'fault: why the accepted message failed for good.',
      properties: { code: { type: 'string' }, message: { type: 'string' }, step: { type: 'string' } },
      additionalProperties: true,
    },
  },
  additionalProperties: true,
} as const;

const SHARED = [PROBLEM_SCHEMA, ACCEPTED_SCHEMA, OUTBOX_FRAME_SCHEMA];

/** Make the shared schemas known to `app` (and its children) unless an ancestor already did. */
export function useSharedSchemas(app: FastifyInstance): void {
  for (const schema of SHARED) if (!app.getSchema(schema.$id)) app.addSchema(schema);
}

/** `Authorization: Bearer` (a JWT, a session token or the admin token) or `X-Api-Key`; none when ITINERA_AUTH=none. */
export const CALLER_SECURITY: Record<string, string[]>[] = [{}, { bearer: [] }, { apiKey: [] }];
/** Operator routes: the admin token or an operator credential (open with ITINERA_AUTH=none and no admin token). */
export const OPERATOR_SECURITY: Record<string, string[]>[] = [{}, { bearer: [] }, { apiKey: [] }];
/** Duplex session requests: the session token as `Authorization: Bearer` (or `Itinera-Session-Token`). */
export const SESSION_SECURITY: Record<string, string[]>[] = [{ bearer: [] }];

/** The security schemes the requirements above name (components.securitySchemes). */
export const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description: 'A JWT (ITINERA_JWT_*), a duplex session token, or ITINERA_ADMIN_TOKEN on operator routes.',
  },
  apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'An API key from ITINERA_API_KEYS_FILE.' },
} as const;

/** Extension members of the problem answers a route documents: status → the codes it may carry. */
export type ProblemCodes = Record<number, readonly string[]>;

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'No or unrecognised credential',
  403: 'The credential lacks the permission',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body too large',
  415: 'Not JSON',
  422: 'Well-formed but refused',
  429: 'Rate limited (Retry-After)',
  500: 'The bus failed',
  501: 'Not supported by this configuration',
  503: 'Not available now (Retry-After when known)',
  504: 'Timed out',
};

/**
 * problem+json responses: each status with the `code`s it carries as an enum.
 * `open` statuses (500) list examples instead: receive-stage steps may fault with their own codes.
 */
export function problems(codes: ProblemCodes, open: readonly number[] = [500]): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const [status, list] of Object.entries(codes)) {
    const code = open.includes(Number(status)) ? { type: 'string', examples: list } : { type: 'string', enum: list };
    out[Number(status)] = {
      description: `${STATUS_TEXT[Number(status)] ?? 'Error'}: ${list.join(', ')}`,
      content: { 'application/problem+json': { schema: { allOf: [{ $ref: 'Problem#' }, { type: 'object', properties: { code } }] } } },
    };
  }
  return out;
}

/**
 * What only the document shows (request bodies checked by the handler itself): kept in
 * the route's `config`, which Fastify does not compile, and merged by the OpenAPI transform.
 */
export interface RouteDocs {
  body?: { description: string; required: boolean; content: Record<string, { schema: unknown }> };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Documentation-only parts of the route (`route(schema, docs)`). */
    docs?: RouteDocs;
  }
}

/**
 * The options of a route: its schema, with validation failures answered as the bus's own
 * errors (validation-problem.ts), and its documentation-only parts.
 */
export function route<S extends object>(schema: S, d?: RouteDocs) {
  return { schema, schemaErrorFormatter: validationProblem, ...(d ? { config: { docs: d } } : {}) };
}

/** A documented JSON request body the handler checks itself. */
export function jsonBody(description: string, schema: unknown, required = true, types: string[] = ['application/json']): RouteDocs['body'] {
  return { description, required, content: Object.fromEntries(types.map((t) => [t, { schema }])) };
}
