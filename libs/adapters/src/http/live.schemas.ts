import { OPERATOR_SECURITY, problems, route } from './route.schemas';

/** Route schema of `GET /live` (live.receive.ts). */

const ROW = {
  type: 'object',
  required: ['itinerary', 'throughputPerSec', 'p50Ms', 'p95Ms', 'faults'],
  properties: {
    itinerary: { type: 'string' },
    step: { type: 'string', description: 'Absent: the itinerary as a whole.' },
    throughputPerSec: { type: 'number', description: 'Itinerary: messages finished (completed or faulted) per second. Step: runs per second.' },
    p50Ms: { type: 'number', description: 'Step duration, median (the upper bound of its histogram bucket); for an itinerary, over all its steps.' },
    p95Ms: { type: 'number' },
    faults: { type: 'integer', description: 'Faults in the window.' },
  },
} as const;

export const LIVE_VIEW_SCHEMA = route({
  operationId: 'liveView',
  tags: ['Operators'],
  summary: 'What the bus is doing now: throughput, latency and faults per itinerary and step, sessions, outboxes, queues',
  description:
    'Rates and percentiles are over the window since the oldest reading of the last minute this node kept (`windowSeconds`); this node\'s figures, the queues and sessions are the whole bus\'s.',
  security: OPERATOR_SECURITY,
  response: {
    200: {
      description: 'The live view.',
      type: 'object',
      required: ['at', 'windowSeconds', 'itineraries', 'sessions', 'outboxes', 'queues'],
      properties: {
        at: { type: 'string', format: 'date-time' },
        windowSeconds: { type: 'number' },
        itineraries: { type: 'array', items: ROW },
        sessions: { type: 'object', required: ['open'], properties: { open: { type: 'integer' } } },
        outboxes: {
          type: 'array',
          description: 'The deepest outboxes (unacknowledged frames), the deepest first.',
          items: { type: 'object', required: ['session', 'depth'], properties: { session: { type: 'string' }, depth: { type: 'integer' } } },
        },
        queues: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'waiting', 'active', 'delayed'],
            properties: { name: { type: 'string' }, waiting: { type: 'integer' }, active: { type: 'integer' }, delayed: { type: 'integer' } },
          },
        },
      },
    },
    ...problems({ 401: ['UNAUTHORIZED'], 403: ['FORBIDDEN'], 500: ['INTERNAL'], 503: ['AUTH_UNAVAILABLE', 'TRANSPORT_UNAVAILABLE'] }),
  },
});
