import { OPERATOR_SECURITY, problems, route } from './route.schemas';

/**
 * Route schemas of the BAM endpoints (activities.receive.ts). The query parameters are
 * strings here: the handler checks them and answers each mistake with its own code.
 */

const OPERATOR_PROBLEMS = { 401: ['UNAUTHORIZED'], 403: ['FORBIDDEN'], 500: ['INTERNAL'], 503: ['AUTH_UNAVAILABLE', 'TRANSPORT_UNAVAILABLE'] } as const;

const COUNTS = { type: 'object', description: 'Milestone → activities that reached it (in any itinerary).', additionalProperties: { type: 'integer' } };

const NUMERIC = {
  type: 'object',
  required: ['count', 'sum', 'min', 'max', 'avg'],
  properties: { count: { type: 'integer' }, sum: { type: 'number' }, min: { type: 'number' }, max: { type: 'number' }, avg: { type: 'number' } },
};

const BETWEEN = {
  type: 'object',
  description: 'Time from the first `between[0]` to the first `between[1]` of each activity that reached both, ms; nearest-rank percentiles.',
  required: ['count'],
  properties: { count: { type: 'integer' }, p50: { type: 'number' }, p95: { type: 'number' }, min: { type: 'number' }, max: { type: 'number' } },
};

const STATS_PROPERTIES = {
  count: { type: 'integer', description: 'Activities placed here.' },
  milestones: COUNTS,
  fields: { type: 'object', description: 'Numeric tracked field → count, sum, min, max, avg.', additionalProperties: NUMERIC },
  between: BETWEEN,
};

const GROUP = {
  type: 'object',
  required: ['value', 'count', 'milestones', 'fields'],
  properties: { value: { type: ['string', 'null'], description: 'The `groupBy` field value (null: activities without it).' }, ...STATS_PROPERTIES },
};

const STATS = {
  type: 'object',
  required: ['count', 'milestones', 'fields'],
  properties: { ...STATS_PROPERTIES, groups: { type: 'array', items: GROUP } },
};

export const ACTIVITY_AGGREGATE_SCHEMA = route({
  operationId: 'aggregateActivities',
  tags: ['Activities'],
  summary: 'Business activity aggregates of an itinerary per time bucket, optionally grouped by a tracked field',
  security: OPERATOR_SECURITY,
  querystring: {
    type: 'object',
    properties: {
      itinerary: { type: 'string', description: 'Itinerary name (required): activities with a milestone in it, placed in time by their first one there.' },
      from: { type: 'string', description: 'Start, inclusive: ISO time or epoch ms (default: `to` minus 24 h).' },
      to: { type: 'string', description: 'End, exclusive: ISO time or epoch ms (default: now).' },
      bucket: { type: 'string', description: 'Bucket width `<n>s|m|h|d`, at least 1s (default 1h); buckets start at `from`; at most 1 000 buckets.' },
      groupBy: { type: 'string', description: 'A tracked field: each bucket is also split by its value.' },
      between: { type: 'string', description: 'Two milestones `a,b`: p50/p95 of the time from the first a to the first b.' },
    },
  },
  response: {
    200: {
      description: 'The aggregates, computed exactly over the activities in range.',
      type: 'object',
      required: ['itinerary', 'from', 'to', 'bucketMs', 'total', 'buckets', 'declared'],
      properties: {
        itinerary: { type: 'string' },
        from: { type: 'string', format: 'date-time' },
        to: { type: 'string', format: 'date-time' },
        bucketMs: { type: 'integer' },
        groupBy: { type: 'string' },
        between: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' } } },
        total: STATS,
        buckets: {
          type: 'array',
          items: {
            ...STATS,
            required: ['start', 'end', ...STATS.required],
            properties: { start: { type: 'string' }, end: { type: 'string' }, ...STATS.properties },
          },
        },
        declared: {
          type: 'object',
          description: 'What the deployed itineraries track: the milestones and fields a query may name.',
          properties: { milestones: { type: 'array', items: { type: 'string' } }, fields: { type: 'array', items: { type: 'string' } } },
        },
      },
    },
    ...problems({
      ...OPERATOR_PROBLEMS,
      400: ['BAD_REQUEST', 'BAD_BUCKET', 'RANGE_TOO_LARGE', 'UNKNOWN_MILESTONE', 'UNKNOWN_TRACKED_FIELD'],
      404: ['ITINERARY_NOT_FOUND'],
    }),
  },
});

export const GET_ACTIVITY_SCHEMA = route({
  operationId: 'getActivity',
  tags: ['Activities'],
  summary: 'One activity: every milestone of a correlation id across itineraries, its tracked fields and the times between milestones',
  security: OPERATOR_SECURITY,
  params: { type: 'object', required: ['correlationId'], properties: { correlationId: { type: 'string' } } },
  response: {
    200: {
      type: 'object',
      required: ['correlationId', 'startedAt', 'updatedAt', 'itineraries', 'milestones', 'fields', 'intervals'],
      properties: {
        correlationId: { type: 'string' },
        startedAt: { type: 'string', format: 'date-time' },
        updatedAt: { type: 'string', format: 'date-time' },
        itineraries: { type: 'array', items: { type: 'string' } },
        milestones: {
          type: 'array',
          description: 'Every milestone event, in time order.',
          items: {
            type: 'object',
            properties: {
              itinerary: { type: 'string' },
              milestone: { type: 'string' },
              at: { type: 'string', format: 'date-time' },
              messageId: { type: 'string' },
              fields: { type: 'object', additionalProperties: true },
              missing: { type: 'array', items: { type: 'string' }, description: 'Fields whose expression failed or gave nothing.' },
            },
          },
        },
        fields: { type: 'object', additionalProperties: true, description: 'Tracked fields merged in time order (a later value wins).' },
        intervals: {
          type: 'array',
          description: 'Time between consecutive distinct milestones (first occurrences), ms.',
          items: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' }, ms: { type: 'number' } } },
        },
      },
    },
    ...problems({ ...OPERATOR_PROBLEMS, 404: ['ACTIVITY_NOT_FOUND'] }),
  },
});
