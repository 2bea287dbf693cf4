import { OPERATOR_SECURITY, problems, route } from './route.schemas';

/** Route schema of `GET /messages` (message-search.receive.ts). */

export const OPERATOR_PROBLEMS = { 401: ['UNAUTHORIZED'], 403: ['FORBIDDEN'], 500: ['INTERNAL'], 503: ['AUTH_UNAVAILABLE', 'TRANSPORT_UNAVAILABLE'] } as const;

const STATUSES = ['accepted', 'running', 'completed', 'faulted'];

export const MESSAGE_SUMMARY_SCHEMA = {
  type: 'object',
  required: ['id', 'correlationId', 'itinerary', 'version', 'status', 'acceptedAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    correlationId: { type: 'string' },
    itinerary: { type: 'string', description: 'The itinerary name.' },
    version: { type: 'string' },
    status: { type: 'string', enum: STATUSES },
    acceptedAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const SEARCH_MESSAGES_SCHEMA = route({
  operationId: 'searchMessages',
  tags: ['Operators'],
  summary: 'Find message records, the newest accepted first',
  description:
    'Every given filter must match. Page with `cursor` (the `nextCursor` of the page before); no `nextCursor`: the last page. A very selective filter may answer a short (even empty) page with a `nextCursor`: go on with it.',
  querystring: {
    type: 'object',
    properties: {
      id: { type: 'string', description: 'A message id.' },
      correlationId: { type: 'string' },
      itinerary: { type: 'string', description: 'An itinerary name (every version) or `name@version`.' },
      status: { type: 'string', enum: STATUSES },
      since: { type: 'string', description: 'Accepted at or after: an ISO time or epoch ms.' },
      until: { type: 'string', description: 'Accepted before: an ISO time or epoch ms.' },
      limit: { type: 'string', pattern: '^\\d+$', description: 'At most this many (1 to 1000, default 50).' },
      cursor: { type: 'string' },
    },
  },
  security: OPERATOR_SECURITY,
  response: {
    200: {
      description: 'A page of message summaries.',
      type: 'object',
      required: ['items'],
      properties: { items: { type: 'array', items: MESSAGE_SUMMARY_SCHEMA }, nextCursor: { type: 'string' } },
    },
    ...problems({ ...OPERATOR_PROBLEMS, 400: ['BAD_REQUEST', 'INVALID_CURSOR'], 501: ['NOT_SUPPORTED'] }),
  },
});
