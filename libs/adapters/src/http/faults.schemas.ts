import { OPERATOR_SECURITY, jsonBody, problems, route } from './route.schemas';

/** Route schemas of the operator's fault endpoints (faults.receive.ts). */

const FAULT_PARAMS = { type: 'object', properties: { id: { type: 'string', description: 'The fault id.' } }, required: ['id'] } as const;

const OPERATOR_PROBLEMS = { 401: ['UNAUTHORIZED'], 403: ['FORBIDDEN'], 500: ['INTERNAL'], 503: ['AUTH_UNAVAILABLE', 'TRANSPORT_UNAVAILABLE'] } as const;

const FAULT_SUMMARY = {
  type: 'object',
  required: ['id', 'messageId', 'correlationId', 'itinerary', 'attempts', 'error', 'at'],
  properties: {
    id: { type: 'string' },
    messageId: { type: 'string' },
    correlationId: { type: 'string' },
    itinerary: { type: 'string', description: '`name@version`' },
    step: { type: 'string', description: 'The step that failed.' },
    attempts: { type: 'integer' },
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string', description: 'Masked (credentials, secrets).' } },
      additionalProperties: true,
    },
    at: { type: 'string', format: 'date-time' },
  },
  additionalProperties: true,
} as const;

/** `GET /faults`, with the list's default and largest `limit`. */
export const listFaultsSchema = (FAULT_LIST_DEFAULT: number, FAULT_LIST_MAX: number) =>
  route({
    operationId: 'listFaults',
    tags: ['Faults'],
    summary: 'Messages whose itinerary failed for good, the newest first',
    description:
      'Every given filter must match. Page with `cursor` (the `nextCursor` of the page before); no `nextCursor`: the last page. Without filters and cursor the answer also carries the list as `faults`, as before paging.',
    querystring: {
      type: 'object',
      properties: {
        limit: { type: 'integer', minimum: 1, maximum: FAULT_LIST_MAX, description: `At most this many (default ${FAULT_LIST_DEFAULT}).` },
        itinerary: { type: 'string', description: 'An itinerary name (every version) or `name@version`.' },
        step: { type: 'string', description: 'The step that failed.' },
        code: { type: 'string', description: 'The error code.' },
        cursor: { type: 'string' },
      },
    },
    security: OPERATOR_SECURITY,
    response: {
      200: {
        description: 'A page of faults, without their envelopes.',
        type: 'object',
        required: ['items'],
        properties: {
          items: { type: 'array', items: FAULT_SUMMARY },
          nextCursor: { type: 'string' },
          faults: { type: 'array', items: FAULT_SUMMARY, description: 'Deprecated: `items` again, only without filters and cursor.' },
        },
      },
      ...problems({ ...OPERATOR_PROBLEMS, 400: ['BAD_REQUEST', 'INVALID_CURSOR'], 501: ['NOT_SUPPORTED'] }),
    },
  });

export const GET_FAULT_SCHEMA = route({
  operationId: 'getFault',
  tags: ['Faults'],
  summary: 'One fault with its envelope (secrets masked)',
  params: FAULT_PARAMS,
  security: OPERATOR_SECURITY,
  response: {
    200: {
      description: 'The fault; `truncated` lists the JSON pointers replaced by markers (a resubmission must supply them).',
      type: 'object',
      properties: {
        ...FAULT_SUMMARY.properties,
        envelope: { type: 'object', description: 'The message as it failed: body, headers, context, itinerary slip, trace.', additionalProperties: true },
        truncated: { type: 'array', items: { type: 'string' } },
      },
      required: FAULT_SUMMARY.required,
      additionalProperties: true,
    },
    ...problems({ ...OPERATOR_PROBLEMS, 404: ['FAULT_NOT_FOUND'] }),
  },
});

const REPAIR = {
  type: 'object',
  description: 'What to change before the run; no body (or `{}`) resubmits the message unchanged.',
  properties: {
    body: { description: 'A repaired message body.' },
    context: { type: 'object', description: 'Context properties to set.', additionalProperties: true },
    fromStep: { type: 'string', description: 'Run from this step id on (default: the step that failed).' },
  },
} as const;

export const RESUBMIT_FAULT_SCHEMA = route(
  {
    operationId: 'resubmitFault',
    tags: ['Faults'],
    summary: "Run a fault's message again, repaired or not",
    params: FAULT_PARAMS,
    security: OPERATOR_SECURITY,
    response: {
      202: {
        description: 'Accepted again as a new message.',
        headers: { 'itinera-message-id': { type: 'string' }, 'itinera-correlation-id': { type: 'string' }, location: { type: 'string' } },
        content: { 'application/json': { schema: { $ref: 'Accepted#' } } },
      },
      ...problems({
        ...OPERATOR_PROBLEMS,
        400: ['INVALID_JSON', 'BAD_REQUEST'],
        404: ['FAULT_NOT_FOUND', 'ITINERARY_NOT_FOUND'],
        409: ['FAULT_NOT_RESUBMITTABLE'],
        415: ['UNSUPPORTED_MEDIA_TYPE'],
        422: ['VALIDATION_FAILED'],
      }),
    },
  },
  { body: jsonBody('The repair (optional).', REPAIR, false) },
);

export const DELETE_FAULT_SCHEMA = route({
  operationId: 'deleteFault',
  tags: ['Faults'],
  summary: 'Drop a fault',
  params: FAULT_PARAMS,
  security: OPERATOR_SECURITY,
  response: { 204: { description: 'Deleted.', type: 'null' }, ...problems({ ...OPERATOR_PROBLEMS, 404: ['FAULT_NOT_FOUND'] }) },
});
