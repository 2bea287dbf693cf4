import { OPERATOR_SECURITY, jsonBody, problems, route } from './route.schemas';

/** Route schemas of `GET /faults/groups` and `POST /faults/bulk` (fault-bulk.receive.ts). */

const OPERATOR_PROBLEMS = { 401: ['UNAUTHORIZED'], 403: ['FORBIDDEN'], 500: ['INTERNAL'], 503: ['AUTH_UNAVAILABLE', 'TRANSPORT_UNAVAILABLE'] } as const;

export const FAULT_GROUPS_SCHEMA = route({
  operationId: 'groupFaults',
  tags: ['Faults'],
  summary: 'How many faults share each itinerary, step or error code',
  querystring: {
    type: 'object',
    properties: { by: { type: 'string', enum: ['itinerary', 'step', 'code'], description: 'What to group by (default itinerary; every version of an itinerary together).' } },
  },
  security: OPERATOR_SECURITY,
  response: {
    200: {
      description: 'The groups, the largest first.',
      type: 'object',
      required: ['groups'],
      properties: {
        groups: {
          type: 'array',
          items: { type: 'object', required: ['key', 'count'], properties: { key: { type: 'string' }, count: { type: 'integer' } } },
        },
      },
    },
    ...problems({ ...OPERATOR_PROBLEMS, 400: ['BAD_REQUEST'], 501: ['NOT_SUPPORTED'] }),
  },
});

const BULK = {
  type: 'object',
  required: ['action', 'ids'],
  properties: {
    action: { type: 'string', enum: ['resubmit', 'delete'] },
    ids: { type: 'array', minItems: 1, maxItems: 500, items: { type: 'string' }, description: 'Fault ids (at most 500).' },
  },
} as const;

export const BULK_FAULTS_SCHEMA = route(
  {
    operationId: 'bulkFaults',
    tags: ['Faults'],
    summary: 'Resubmit (unchanged) or delete many faults',
    description: 'Each fault gets its own result; one that fails (`ok: false`, its `code`) does not stop the others. Recorded in the audit trail as one entry.',
    security: OPERATOR_SECURITY,
    response: {
      200: {
        description: 'One result per distinct id, in the order given.',
        type: 'object',
        required: ['results'],
        properties: {
          results: {
            type: 'array',
            items: {
              type: 'object',
              required: ['id', 'ok'],
              properties: {
                id: { type: 'string' },
                ok: { type: 'boolean' },
                code: { type: 'string', description: 'Why not, e.g. FAULT_NOT_FOUND, FAULT_NOT_RESUBMITTABLE.' },
                message: { type: 'string' },
                messageId: { type: 'string', description: 'resubmit: the message id of the new run.' },
              },
            },
          },
        },
      },
      ...problems({ ...OPERATOR_PROBLEMS, 400: ['INVALID_JSON'], 415: ['UNSUPPORTED_MEDIA_TYPE'], 422: ['VALIDATION_FAILED'] }),
    },
  },
  { body: jsonBody('The action and the fault ids.', BULK) },
);
