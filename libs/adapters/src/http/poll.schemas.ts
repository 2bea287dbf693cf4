import { CALLER_SECURITY, SESSION_SECURITY, jsonBody, problems, route } from './route.schemas';

/** Route schemas of the long-polling duplex binding (poll.receive.ts). */

const SESSION_PARAMS = {
  type: 'object',
  properties: { session: { type: 'string', description: 'The session id (from `POST /duplex/sessions`).' } },
  required: ['session'],
} as const;

const SESSION_HEADERS = {
  type: 'object',
  properties: {
    'itinera-session-token': { type: 'string', description: "The session token, when `Authorization` carries the caller's JWT instead." },
  },
} as const;

/** Every session request: a wrong token is 401, an unknown or expired session 404. */
const SESSION_PROBLEMS = {
  401: ['UNAUTHORIZED'],
  403: ['FORBIDDEN'],
  404: ['SESSION_NOT_FOUND'],
  500: ['INTERNAL'],
  503: ['AUTH_UNAVAILABLE', 'TRANSPORT_UNAVAILABLE', 'SHUTTING_DOWN'],
} as const;

const SESSION_LIMITS = {
  type: 'object',
  properties: {
    pollTimeoutMs: { type: 'integer', description: 'How long a poll is held when nothing is pending.' },
    inactivityTimeoutMs: { type: 'integer', description: 'The session expires after this long without a request.' },
    maxFrameBytes: { type: 'integer', description: 'Largest message body accepted on this session.' },
  },
} as const;

export const CREATE_SESSION_SCHEMA = route({
  operationId: 'createSession',
  tags: ['Duplex (long polling)'],
  summary: 'Open a duplex session',
  description: "It belongs to the caller's principal. Resume it later on this transport or on the WebSocket duplex (`hello` with session and token).",
  security: CALLER_SECURITY,
  response: {
    201: {
      description: 'Opened; keep `token` (it is returned once).',
      headers: { location: { type: 'string', description: '`/duplex/sessions/{session}`' } },
      type: 'object',
      required: ['session', 'token', 'pollTimeoutMs', 'inactivityTimeoutMs'],
      properties: {
        session: { type: 'string' },
        token: { type: 'string' },
        ...SESSION_LIMITS.properties,
        webhookSecret: {
          type: 'string',
          description: 'Dual HTTP only: `whsec_` + base64 of the HMAC key that signs the callbacks (Standard Webhooks). Returned once.',
        },
      },
    },
    ...problems({
      400: ['BAD_REQUEST', 'INVALID_JSON'],
      401: ['UNAUTHORIZED'],
      // A page of an origin not in ITINERA_ALLOWED_ORIGINS.
      403: ['FORBIDDEN'],
      415: ['UNSUPPORTED_MEDIA_TYPE'],
      422: ['CALLBACK_URL_REFUSED'],
      429: ['RATE_LIMITED'],
      500: ['INTERNAL'],
      503: ['AUTH_UNAVAILABLE', 'SHUTTING_DOWN'],
    }),
  },
}, {
  body: jsonBody(
    'Optional. With `callbackUrl`, a dual-HTTP session: callbacks and faults are POSTed there, signed (see the AsyncAPI document).',
    { type: 'object', properties: { callbackUrl: { type: 'string', format: 'uri', description: 'Where the bus POSTs this session\'s callbacks (http or https).' } } },
    false,
  ),
});

const SEND_BODY = {
  type: 'object',
  required: ['id', 'itinerary', 'action'],
  properties: {
    id: { type: 'string', description: "The client's own id for this message (echoed in `accepted`, callbacks and errors)." },
    itinerary: { type: 'string' },
    version: { type: 'string' },
    action: { type: 'string' },
    body: { description: "The message body (checked against the action's schema)." },
    traceparent: { type: 'string', description: 'W3C trace context the message joins (an invalid value is ignored).' },
    tracestate: { type: 'string' },
  },
} as const;

export const SEND_SCHEMA = route(
  {
    operationId: 'sendOnSession',
    tags: ['Duplex (long polling)'],
    summary: 'Send a message on the session; its callbacks come back by polling',
    params: SESSION_PARAMS,
    headers: SESSION_HEADERS,
    security: SESSION_SECURITY,
    response: {
      202: {
        description: 'The `accepted` frame (with `reply` for a request-response operation).',
        headers: { 'itinera-message-id': { type: 'string' }, 'itinera-correlation-id': { type: 'string' } },
        type: 'object',
        required: ['type', 'id', 'messageId', 'correlationId'],
        properties: {
          type: { type: 'string', enum: ['accepted'] },
          id: { type: 'string' },
          messageId: { type: 'string' },
          correlationId: { type: 'string' },
          itinerary: { type: 'string', description: '`name@version`' },
          reply: { description: 'The reply body of a request-response operation.' },
        },
      },
      ...problems({
        ...SESSION_PROBLEMS,
        400: ['BAD_REQUEST', 'INVALID_JSON', 'INVALID_IDEMPOTENCY_KEY'],
        404: ['SESSION_NOT_FOUND', 'ITINERARY_NOT_FOUND'],
        409: ['IDEMPOTENCY_CONFLICT'],
        413: ['PAYLOAD_TOO_LARGE'],
        415: ['UNSUPPORTED_MEDIA_TYPE'],
        422: ['VALIDATION_FAILED', 'UNKNOWN_ACTION', 'FACT_MISSING', 'FACT_TYPE_MISMATCH', 'EXPRESSION_LIMIT'],
        429: ['RATE_LIMITED'],
        504: ['TIMEOUT'],
      }),
    },
  },
  { body: jsonBody('The `send` frame without its `type`. Problems carry the message `id` as an extension member.', SEND_BODY) },
);

export const GET_SESSION_SCHEMA = route({
  operationId: 'getSession',
  tags: ['Duplex (long polling)'],
  summary: 'Where the session stands (a resume check)',
  params: SESSION_PARAMS,
  headers: SESSION_HEADERS,
  security: SESSION_SECURITY,
  response: {
    200: {
      description: 'Its last seq sent and acknowledged.',
      type: 'object',
      required: ['session', 'lastSeq', 'ackedSeq'],
      properties: { session: { type: 'string' }, lastSeq: { type: 'integer' }, ackedSeq: { type: 'integer' }, ...SESSION_LIMITS.properties },
    },
    ...problems(SESSION_PROBLEMS),
  },
});

export const POLL_SCHEMA = route({
  operationId: 'poll',
  tags: ['Duplex (long polling)'],
  summary: 'Acknowledge up to `after` and wait for the next callback and fault frames',
  description:
    'Answers at once when frames above `after` are pending, else holds until one is (or `{ items: [] }` after pollTimeoutMs). A newer poll of the session answers this one with empty items.',
  params: SESSION_PARAMS,
  querystring: {
    type: 'object',
    properties: {
      after: { type: 'integer', minimum: 0, description: 'The highest seq handled (acknowledged by this poll); omitted: the acknowledged seq.' },
    },
  },
  headers: SESSION_HEADERS,
  security: SESSION_SECURITY,
  response: {
    200: {
      description: 'Frames above `after`, in seq order.',
      type: 'object',
      required: ['items', 'more'],
      properties: {
        items: { type: 'array', items: { $ref: 'OutboxFrame#' } },
        more: { type: 'boolean', description: 'More are pending: poll again at once.' },
        closing: {
          type: 'object',
          description: 'The server stops serving the session here: reconnect after `retryAfterMs` (shutdown), or not at all.',
          properties: { reason: { type: 'string', enum: ['shutdown', 'expired', 'replaced', 'ended'] }, retryAfterMs: { type: 'integer' } },
        },
      },
    },
    ...problems({ ...SESSION_PROBLEMS, 400: ['BAD_REQUEST'] }),
  },
});

export const DELETE_SESSION_SCHEMA = route({
  operationId: 'endSession',
  tags: ['Duplex (long polling)'],
  summary: 'End the session for good',
  params: SESSION_PARAMS,
  headers: SESSION_HEADERS,
  security: SESSION_SECURITY,
  response: { 204: { description: 'Ended.', type: 'null' }, ...problems(SESSION_PROBLEMS) },
});
