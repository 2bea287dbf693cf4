import { CALLER_SECURITY, OPERATOR_SECURITY, jsonBody, problems, route } from './route.schemas';

/** Route schemas of the HTTP on-ramp (http.receive.ts): messages, records, itineraries, health, metrics. */

const MESSAGE_HEADERS = {
  type: 'object',
  properties: {
    'content-type': {
      type: 'string',
      description: '`application/json` (parameters allowed) or a `+json` type; anything else is 415 UNSUPPORTED_MEDIA_TYPE.',
      examples: ['application/json'],
    },
    'itinera-action': {
      type: 'string',
      description: 'The operation (an action the itinerary declares); rules and selectors can read it.',
      examples: ['AddTo'],
    },
    'idempotency-key': {
      type: 'string',
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7e]+$',
      description:
        'A retry with the same key and body does not run the itinerary twice; the same key with another body is 409. 1 to 255 visible ASCII characters.',
    },
    'itinera-correlation-id': { type: 'string', description: "The client's own correlation id (else one is made)." },
    'itinera-session': { type: 'string', description: "Route this message's callbacks to that duplex session (with its token)." },
    'itinera-session-token': { type: 'string', description: "The session token when `Authorization` carries the caller's JWT." },
    prefer: { type: 'string', description: '`wait=N` (seconds): hold the request until the itinerary replies, up to N.', examples: ['wait=5'] },
    traceparent: {
      type: 'string',
      description: 'W3C trace context: the message joins this trace (an invalid value is ignored).',
      examples: ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    },
    tracestate: { type: 'string', description: 'W3C trace context vendor state, carried with `traceparent`.' },
  },
  required: ['content-type'],
} as const;

const ACCEPTED_HEADERS = {
  'itinera-message-id': { type: 'string', description: 'The message id.' },
  'itinera-correlation-id': { type: 'string', description: 'The correlation id.' },
  location: { type: 'string', description: '`/messages/{messageId}`' },
  'idempotent-replayed': { type: 'string', description: '`true` when an earlier request with the same Idempotency-Key was answered.' },
};

const MESSAGE_PROBLEMS = {
  400: ['INVALID_JSON', 'BAD_REQUEST', 'INVALID_IDEMPOTENCY_KEY'],
  401: ['UNAUTHORIZED'],
  403: ['FORBIDDEN'],
  404: ['ITINERARY_NOT_FOUND', 'SESSION_NOT_FOUND'],
  409: ['IDEMPOTENCY_CONFLICT'],
  413: ['PAYLOAD_TOO_LARGE'],
  415: ['UNSUPPORTED_MEDIA_TYPE'],
  422: ['VALIDATION_FAILED', 'UNKNOWN_ACTION', 'NO_ITINERARY_MATCHED', 'FACT_MISSING', 'FACT_TYPE_MISMATCH', 'EXPRESSION_LIMIT'],
  429: ['RATE_LIMITED'],
  500: ['INTERNAL'],
  503: ['TRANSPORT_UNAVAILABLE', 'SHUTTING_DOWN', 'AUTH_UNAVAILABLE', 'REDIS_OUT_OF_MEMORY', 'ENDPOINT_BUSY', 'CIRCUIT_OPEN'],
  504: ['TIMEOUT'],
} as const;

const messageResponses = {
  200: {
    description: 'The itinerary replied before publication (a request-response operation, or `Prefer: wait`): its reply body.',
    headers: ACCEPTED_HEADERS,
    content: { 'application/json': { schema: {} } },
  },
  202: { description: 'Durably accepted.', headers: ACCEPTED_HEADERS, content: { 'application/json': { schema: { $ref: 'Accepted#' } } } },
  ...problems(MESSAGE_PROBLEMS),
};

const MESSAGE_BODY = jsonBody(
  "The message body: any JSON value. The itinerary checks it against the action's schema (422 VALIDATION_FAILED with pointers); the per-itinerary paths below name those schemas.",
  {},
  true,
  ['application/json', 'application/*+json'],
);

export const POST_ITINERARY_MESSAGE_SCHEMA = route(
  {
    operationId: 'sendMessage',
    tags: ['Messages'],
    summary: 'Run a message through an itinerary',
    params: { type: 'object', properties: { name: { type: 'string', description: 'The itinerary.' } }, required: ['name'] },
    querystring: {
      type: 'object',
      properties: { version: { type: 'string', description: 'A version or semver range (omitted: the latest deployed).', examples: ['1.0.0', '^1'] } },
    },
    headers: MESSAGE_HEADERS,
    security: CALLER_SECURITY,
    response: messageResponses,
  },
  { body: MESSAGE_BODY },
);

export const POST_MESSAGE_SCHEMA = route(
  {
    operationId: 'sendSelectedMessage',
    tags: ['Messages'],
    summary: 'Run a message through the itinerary the selector policy picks',
    description: 'The itinerary selector (ITINERA_SELECTOR_POLICY) picks the itinerary from body, headers and action; none: 422 NO_ITINERARY_MATCHED.',
    headers: MESSAGE_HEADERS,
    security: CALLER_SECURITY,
    response: messageResponses,
  },
  { body: MESSAGE_BODY },
);

const TRACE_ENTRY = {
  type: 'object',
  description: 'One step as it ran: step id, service, stage, start, duration, outcome and what its resolver decided.',
  properties: {
    step: { type: 'string' },
    service: { type: 'string' },
    stage: { type: 'string', enum: ['receive', 'send'] },
    start: { type: 'string', format: 'date-time' },
    durationMs: { type: 'number' },
    outcome: { type: 'string' },
    attempt: { type: 'integer' },
  },
  additionalProperties: true,
};

export const GET_MESSAGE_SCHEMA = route({
  operationId: 'getMessage',
  tags: ['Messages'],
  summary: "A message's status and trace",
  description: 'Answers its owner (the principal or session that sent it) and operators; anyone else gets 404.',
  params: { type: 'object', properties: { id: { type: 'string', description: 'The message id.' } }, required: ['id'] },
  headers: { type: 'object', properties: { 'itinera-session': { type: 'string', description: 'Read as this duplex session (with its token).' } } },
  security: CALLER_SECURITY,
  response: {
    200: {
      description: 'The message record.',
      type: 'object',
      required: ['messageId', 'correlationId', 'itinerary', 'status'],
      properties: {
        messageId: { type: 'string' },
        correlationId: { type: 'string' },
        itinerary: { type: 'string', description: '`name@version`' },
        status: { type: 'string', enum: ['accepted', 'running', 'completed', 'faulted'] },
        action: { type: 'string' },
        session: { type: 'string' },
        principal: { type: 'string' },
        acceptedAt: { type: 'string', format: 'date-time' },
        updatedAt: { type: 'string', format: 'date-time' },
        trace: { type: 'array', items: TRACE_ENTRY },
        context: { description: 'Context properties decided along the way (endpoint, decisions).' },
        reply: { description: '`{ body }`: the reply, or a `{ truncated, bytes }` marker past ITINERA_RECORD_MAX_BYTES.' },
        error: { description: '`{ code, message, step? }` when faulted.' },
      },
      additionalProperties: true,
    },
    ...problems({ 401: ['UNAUTHORIZED'], 403: ['FORBIDDEN'], 404: ['MESSAGE_NOT_FOUND', 'SESSION_NOT_FOUND'], 500: ['INTERNAL'], 503: ['AUTH_UNAVAILABLE'] }),
  },
});

export const LIST_ITINERARIES_SCHEMA = route({
  operationId: 'listItineraries',
  tags: ['Itineraries'],
  summary: 'What is deployed: names, versions and actions',
  security: CALLER_SECURITY,
  response: {
    200: {
      description: 'One entry per itinerary, by name.',
      type: 'object',
      required: ['itineraries'],
      properties: {
        itineraries: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'versions', 'latest', 'actions'],
            properties: {
              name: { type: 'string' },
              versions: { type: 'array', items: { type: 'string' } },
              latest: { type: 'string' },
              description: { type: 'string' },
              actions: {
                type: 'array',
                items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, description: { type: 'string' } } },
              },
            },
          },
        },
      },
    },
    ...problems({ 401: ['UNAUTHORIZED'], 500: ['INTERNAL'], 503: ['AUTH_UNAVAILABLE'] }),
  },
});

export const GET_ITINERARY_SCHEMA = route({
  operationId: 'getItinerary',
  tags: ['Itineraries'],
  summary: "An itinerary's full definition (operators)",
  params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  querystring: { type: 'object', properties: { version: { type: 'string', description: 'A version or semver range (omitted: the latest).' } } },
  security: OPERATOR_SECURITY,
  response: {
    200: {
      description: 'The definition as deployed (schema/itinerary.schema.json).',
      type: 'object',
      required: ['name', 'version', 'steps'],
      properties: { name: { type: 'string' }, version: { type: 'string' }, steps: { type: 'array', items: { type: 'object', additionalProperties: true } } },
      additionalProperties: true,
    },
    ...problems({ 401: ['UNAUTHORIZED'], 403: ['FORBIDDEN'], 404: ['ITINERARY_NOT_FOUND'], 500: ['INTERNAL'], 503: ['AUTH_UNAVAILABLE'] }),
  },
});

export const LIVE_SCHEMA = route({
  operationId: 'live',
  tags: ['Health'],
  summary: 'Liveness: the process answers',
  response: { 200: { description: 'Alive.', type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } } },
});

export const READY_SCHEMA = route({
  operationId: 'ready',
  tags: ['Health'],
  summary: 'Readiness: the transport (and stores) take writes',
  response: {
    200: { description: 'Ready.', type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ready'] } } },
    ...problems({ 500: ['INTERNAL'], 503: ['TRANSPORT_UNAVAILABLE', 'REDIS_OUT_OF_MEMORY', 'SHUTTING_DOWN'] }),
  },
});

/** `/metrics`; `guarded`: ITINERA_METRICS_AUTH=operator. */
export function metricsSchema(guarded: boolean) {
  return route({
    operationId: 'metrics',
    tags: ['Health'],
    summary: 'Prometheus metrics (text exposition format)',
    ...(guarded ? { security: OPERATOR_SECURITY } : {}),
    response: {
      200: { description: 'Prometheus text.', content: { 'text/plain': { schema: { type: 'string' } } } },
      ...(guarded ? problems({ 401: ['UNAUTHORIZED'], 403: ['FORBIDDEN'] }, []) : {}),
    },
  });
}
